// Command cooc-bench measures the co-occurrence vectors of package cooc:
// how fast they are built, and how well they stand in for a donor model.
//
// Speed (run it under /usr/bin/time -v for the peak memory):
//
//	go run ./bench/cooc -mode speed -tokenizer TOKENIZER -text FILE
//
// Neighbours: the nearest tokens (cosine) of a few tokens, to read:
//
//	go run ./bench/cooc -mode neighbours -tokenizer ../shared/models/B-gpt2 -text ../shared/models/calib.txt
//
// Quality: the reconstruction test of `transplant eval reconstruct`, on the
// two small models of ../shared/models, restricted to tokens the text gives
// a vector: it holds out a seeded sample of tokens A and B share that occur
// at least -min-occ times in the text, builds their rows of A's embedding
// and head with knn and omp over the remaining shared tokens, once with B's
// own tables as the donor and once with co-occurrence vectors of the text
// in B's tokenizer, and prints the mean cosine similarity to A's true rows.
// Comma-separated values of -window, -dims, -min-count, -exponent, -power
// and -max-pairs are tried one at a time against the first of each.
//
//	go run ./bench/cooc -mode quality -text ../shared/models/calib.txt
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/cooc"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
	"github.com/transplant-dev/transplant/tokenizer"
)

func main() {
	mode := flag.String("mode", "quality", "speed, neighbours or quality")
	text := flag.String("text", "../shared/models/calib.txt", "text to count")
	tokPath := flag.String("tokenizer", "../shared/models/B-gpt2", "tokenizer (speed, neighbours)")
	base := flag.String("base", "../shared/models/A-mistral", "base model (quality)")
	donor := flag.String("donor", "../shared/models/B-gpt2", "donor model whose tokenizer the vectors use (quality)")
	holdout := flag.Int("holdout", 1000, "tokens held out (quality)")
	minOcc := flag.Int("min-occ", 5, "least occurrences in the text of a held-out token (quality)")
	maxOcc := flag.Int("max-occ", 0, "most occurrences in the text of a held-out token, 0 for no limit (quality)")
	seed := flag.Uint64("seed", 1, "seed of the sample and the SVD")
	window := flag.String("window", "2", "windows to try")
	dims := flag.String("dims", "300", "dimensions to try")
	minCount := flag.String("min-count", "2", "min counts to try")
	exponent := flag.String("exponent", "1", "exponents of Σ to try (0 means none)")
	power := flag.String("power", "3", "power iterations to try (0 means none)")
	maxPairs := flag.String("max-pairs", "0", "pair caps to try (0 means the default)")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	words := flag.String("words", " the| king| said| God| water|ing| run| 1| good| and|.|\n", "|-separated tokens (neighbours)")
	flag.Parse()

	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	grid, err := parseGrid(*window, *dims, *minCount, *exponent, *power, *maxPairs)
	if err != nil {
		log.Fatal(err)
	}
	switch *mode {
	case "speed":
		err = speed(*tokPath, *text, grid[0], *seed)
	case "neighbours":
		err = neighbours(*tokPath, *text, grid[0], *seed, strings.Split(*words, "|"))
	case "quality":
		err = quality(*base, *donor, *text, grid, *holdout, *minOcc, *maxOcc, *seed)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		log.Print(err)
	}
}

// setting is one choice of the options the bench varies.
type setting struct {
	count   cooc.CountOptions
	vectors cooc.VectorOptions
	label   string
}

// parseGrid returns the first value of every list, then one setting per
// other value of each list with the rest at their first values.
func parseGrid(window, dims, minCount, exponent, power, maxPairs string) ([]setting, error) {
	lists := map[string][]float64{}
	names := []string{"window", "dims", "min-count", "exponent", "power", "max-pairs"}
	for i, s := range []string{window, dims, minCount, exponent, power, maxPairs} {
		for f := range strings.SplitSeq(s, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("-%s: %w", names[i], err)
			}
			lists[names[i]] = append(lists[names[i]], v)
		}
	}
	make := func(change string, v float64) setting {
		val := func(name string) float64 {
			if name == change {
				return v
			}
			return lists[name][0]
		}
		s := setting{
			count: cooc.CountOptions{Window: int(val("window")), MaxPairs: int(val("max-pairs"))},
			vectors: cooc.VectorOptions{
				Dims:            int(val("dims")),
				MinCount:        int(val("min-count")),
				Exponent:        val("exponent"),
				PowerIterations: int(val("power")),
			},
		}
		if s.vectors.Exponent == 0 {
			s.vectors.Exponent = cooc.NoExponent
		}
		if s.vectors.PowerIterations == 0 {
			s.vectors.PowerIterations = cooc.NoPowerIterations
		}
		s.label = fmt.Sprintf("window %g dims %g min-count %g exponent %g power %g",
			val("window"), val("dims"), val("min-count"), val("exponent"), val("power"))
		if p := val("max-pairs"); p != 0 {
			s.label += fmt.Sprintf(" max-pairs %g", p)
		}
		return s
	}
	grid := []setting{make("", 0)}
	for _, name := range names {
		for _, v := range lists[name][1:] {
			grid = append(grid, make(name, v))
		}
	}
	return grid, nil
}

func build(tok *tokenizer.Tokenizer, text string, s setting, seed uint64) (*cooc.Counts, *cooc.Vectors, time.Duration, time.Duration, error) {
	f, err := os.Open(text)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	defer f.Close()
	t0 := time.Now()
	counts, err := cooc.Count(context.Background(), tok, f, s.count)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	t1 := time.Now()
	s.vectors.Seed = seed
	v, err := counts.Vectors(context.Background(), s.vectors)
	return counts, v, t1.Sub(t0), time.Since(t1), err
}

func speed(tokPath, text string, s setting, seed uint64) error {
	tok, err := tokenizer.Load(tokPath)
	if err != nil {
		return err
	}
	counts, v, tc, tv, err := build(tok, text, s, seed)
	if err != nil {
		return err
	}
	fmt.Printf("%s, GOMAXPROCS %d\n", s.label, runtime.GOMAXPROCS(0))
	fmt.Printf("count:   %6.1f s  %d bytes, %d tokens, %d of %d ids occur, %d pairs, %d prunings (floor %.1f)\n",
		tc.Seconds(), counts.Bytes, counts.Tokens, counts.Occurring(), tok.VocabSize(), counts.Pairs(), counts.Prunings, counts.PruneFloor)
	fmt.Printf("vectors: %6.1f s  %d tokens with a vector, %d dims, σ %.4g … %.4g\n",
		tv.Seconds(), v.Len(), v.Table.Cols, v.Singular[0], v.Singular[len(v.Singular)-1])
	return nil
}

func neighbours(tokPath, text string, s setting, seed uint64, words []string) error {
	tok, err := tokenizer.Load(tokPath)
	if err != nil {
		return err
	}
	_, v, _, _, err := build(tok, text, s, seed)
	if err != nil {
		return err
	}
	unit := normalized(v.Table)
	for _, w := range words {
		ids := tok.EncodeSurface([]byte(w))
		if len(ids) != 1 || !v.Has(ids[0]) {
			fmt.Printf("%q: not one token with a vector\n", w)
			continue
		}
		q := ids[0]
		type nb struct {
			id  int
			sim float64
		}
		var nbs []nb
		for id := range unit.Rows {
			if id != q && v.Has(id) {
				nbs = append(nbs, nb{id, dot(row(unit, id), row(unit, q))})
			}
		}
		slices.SortFunc(nbs, func(x, y nb) int { return -cmpFloat(x.sim, y.sim) })
		var parts []string
		for _, n := range nbs[:min(10, len(nbs))] {
			parts = append(parts, fmt.Sprintf("%q %.2f", tok.Surface(n.id).Bytes, n.sim))
		}
		fmt.Printf("%q (%d): %s\n", w, v.Occurrences[q], strings.Join(parts, ", "))
	}
	return nil
}

func quality(basePath, donorPath, text string, grid []setting, holdout, minOcc, maxOcc int, seed uint64) error {
	base, err := openTables(basePath)
	if err != nil {
		return err
	}
	donor, err := openTables(donorPath)
	if err != nil {
		return err
	}
	al, err := align.Align(align.FromTokenizer(base.tok), align.FromTokenizer(donor.tok), align.Options{OldRows: base.emb.Rows})
	if err != nil {
		return err
	}
	var shared []heuristics.Anchor
	for id, k := range al.Kind {
		if (k == align.Exact || k == align.ByBytes) && !donor.tok.Surface(id).Special {
			shared = append(shared, heuristics.Anchor{Old: al.Source[id], New: id})
		}
	}
	// Hold out from tokens frequent enough to have a vector in every
	// setting, so that all settings and the donor face the same sample.
	counts, err := countOnly(donor.tok, text, grid[0])
	if err != nil {
		return err
	}
	var eligible []heuristics.Anchor
	for _, a := range shared {
		if n := counts.Occurrences[a.New]; n >= int64(minOcc) && (maxOcc == 0 || n <= int64(maxOcc)) {
			eligible = append(eligible, a)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(eligible), func(i, j int) { eligible[i], eligible[j] = eligible[j], eligible[i] })
	held := eligible[:min(holdout, len(eligible))]
	isHeld := map[int]bool{}
	for _, a := range held {
		isHeld[a.New] = true
	}
	var anchors []heuristics.Anchor
	for _, a := range shared {
		if !isHeld[a.New] {
			anchors = append(anchors, a)
		}
	}
	band := fmt.Sprintf("at least %d times", minOcc)
	if maxOcc > 0 {
		band = fmt.Sprintf("%d to %d times", minOcc, maxOcc)
	}
	fmt.Printf("%d shared tokens, %d occur %s in the text, %d held out, %d anchors\n",
		len(shared), len(eligible), band, len(held), len(anchors))
	fmt.Printf("%-62s %8s %8s %8s %8s %9s\n", "donor", "emb knn", "emb omp", "head knn", "head omp", "vectors")
	// Pieces as the base tokenizer would cut each held-out token were it
	// not in its vocabulary, for the subword baseline.
	targets := make([]heuristics.Target, len(held))
	for i, a := range held {
		b := donor.tok.Surface(a.New).Bytes
		targets[i] = heuristics.Target{NewID: a.New, Bytes: len(b)}
		for _, id := range base.tok.EncodeSurfaceExcluding(b, a.Old) {
			targets[i].Pieces = append(targets[i].Pieces, heuristics.Piece{ID: id, Bytes: len(base.tok.Surface(id).Bytes)})
		}
	}
	score := func(label string, embDonor, headDonor blas32.General, has string) error {
		var cells []string
		for _, output := range []bool{false, true} {
			table, d := base.emb, embDonor
			if output {
				table, d = base.head, headDonor
			}
			methods := []heuristics.Method{
				heuristics.KNN{K: heuristics.DefaultKNNK, Temperature: heuristics.DefaultKNNTemperature},
				omp.Method{},
			}
			if d.Rows == 0 {
				methods = []heuristics.Method{heuristics.Mean{}, heuristics.Subword{}}
			}
			for _, m := range methods {
				cos, err := reconstruct(m, table, d, targets, held, anchors, output, seed)
				if err != nil {
					return err
				}
				cells = append(cells, fmt.Sprintf("%8.3f", cos))
			}
		}
		fmt.Printf("%-62s %s %9s\n", label, strings.Join(cells, " "), has)
		return nil
	}
	if err := score("no donor: mean, subword (in place of knn, omp)", blas32.General{}, blas32.General{}, ""); err != nil {
		return err
	}
	if err := score("B's own tables", donor.emb, donor.head, ""); err != nil {
		return err
	}
	for _, s := range grid {
		_, v, tc, tv, err := build(donor.tok, text, s, seed)
		if err != nil {
			return err
		}
		label := fmt.Sprintf("%s (%.0f+%.0f s)", s.label, tc.Seconds(), tv.Seconds())
		if err := score(label, v.Table, v.Table, strconv.Itoa(v.Len())); err != nil {
			return err
		}
	}
	return nil
}

func countOnly(tok *tokenizer.Tokenizer, text string, s setting) (*cooc.Counts, error) {
	f, err := os.Open(text)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return cooc.Count(context.Background(), tok, f, s.count)
}

// reconstruct builds the rows of the held-out tokens with m and returns
// their mean cosine similarity to the true rows.
func reconstruct(m heuristics.Method, table, donor blas32.General, targets []heuristics.Target, held, anchors []heuristics.Anchor, output bool, seed uint64) (float64, error) {
	dst := blas32.General{Rows: len(held), Cols: table.Cols, Stride: table.Cols, Data: make([]float32, len(held)*table.Cols)}
	if _, ok := m.(heuristics.Mean); ok {
		// The mean of the anchors' rows, not of the whole table, which
		// holds the held-out rows.
		mean := make([]float64, table.Cols)
		for _, a := range anchors {
			for j, x := range row(table, a.Old) {
				mean[j] += float64(x) / float64(len(anchors))
			}
		}
		for i := range held {
			for j, x := range mean {
				dst.Data[i*dst.Stride+j] = float32(x)
			}
		}
	} else {
		role := heuristics.InputEmbedding
		if output {
			role = heuristics.OutputHead
		}
		p := &heuristics.Problem{Base: table, Role: role, Targets: targets, Anchors: anchors, Donor: donor, Seed: seed}
		rm, err := m.Build(context.Background(), p)
		if err != nil {
			return 0, err
		}
		if err := rm.Apply(context.Background(), dst, table); err != nil {
			return 0, err
		}
	}
	sum := 0.0
	for i, a := range held {
		got, want := row(dst, i), row(table, a.Old)
		sum += dot(got, want) / math.Sqrt(dot(got, got)*dot(want, want)+1e-30)
	}
	return sum / float64(len(held)), nil
}

type tables struct {
	tok       *tokenizer.Tokenizer
	emb, head blas32.General
}

func openTables(dir string) (*tables, error) {
	m, err := checkpoint.Open(dir)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, err
	}
	load := func(t checkpoint.Tensor, ok bool) (blas32.General, error) {
		if !ok {
			return blas32.General{}, fmt.Errorf("%s: table missing", dir)
		}
		data, shape, err := m.Float32(t.Name)
		if err != nil {
			return blas32.General{}, err
		}
		return blas32.General{Rows: shape[0], Cols: shape[1], Stride: shape[1], Data: data}, nil
	}
	emb, err := load(m.Embedding())
	if err != nil {
		return nil, err
	}
	head := emb
	if !m.Tied() {
		if head, err = load(m.Head()); err != nil {
			return nil, err
		}
	}
	return &tables{tok: tok, emb: emb, head: head}, nil
}

func row(m blas32.General, i int) []float32 { return m.Data[i*m.Stride : i*m.Stride+m.Cols] }

func dot(x, y []float32) float64 {
	s := 0.0
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

func normalized(m blas32.General) blas32.General {
	out := blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: m.Cols, Data: slices.Clone(m.Data)}
	for i := range out.Rows {
		r := row(out, i)
		if n := math.Sqrt(dot(r, r)); n > 0 {
			for j := range r {
				r[j] = float32(float64(r[j]) / n)
			}
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
