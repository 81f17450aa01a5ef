package cooc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

type svdGolden struct {
	Name       string
	Rows, Cols int
	Matrix     []float64
	Rank       int
	Directions int
	Singular   []float64
	U          []float64
}

func readSVDGoldens(t *testing.T) []svdGolden {
	t.Helper()
	data, err := os.ReadFile("testdata/svd_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Cases []svdGolden }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	return file.Cases
}

// denseCSR stores the nonzero entries of a row-major matrix.
func denseCSR(rows, cols int, data []float64) *csr {
	m := &csr{rows: rows, cols: cols, ptr: make([]int, rows+1)}
	for i := range rows {
		for j := range cols {
			if v := data[i*cols+j]; v != 0 {
				m.col = append(m.col, int32(j))
				m.val = append(m.val, float32(v))
			}
		}
		m.ptr[i+1] = len(m.col)
	}
	return m
}

// TestTruncatedSVDGolden compares with numpy's exact SVD (see
// scripts/golden/cooc/make_golden.py), signs fixed the same way.
func TestTruncatedSVDGolden(t *testing.T) {
	for _, g := range readSVDGoldens(t) {
		t.Run(g.Name, func(t *testing.T) {
			m := denseCSR(g.Rows, g.Cols, g.Matrix)
			u, sigma, err := truncatedSVD(context.Background(), m, svdPlan{rank: g.Rank, oversample: g.Directions - g.Rank, power: 3, seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if u.Rows != g.Rows || u.Cols != g.Rank || len(sigma) != g.Rank {
				t.Fatalf("U is %d×%d with %d values, want %d×%d", u.Rows, u.Cols, len(sigma), g.Rows, g.Rank)
			}
			for j, s := range g.Singular {
				if math.Abs(sigma[j]-s) > 1e-10*g.Singular[0] {
					t.Errorf("σ%d = %.15g, want %.15g", j, sigma[j], s)
				}
			}
			worst := 0.0
			for i := range g.Rows {
				for j := range g.Rank {
					worst = max(worst, math.Abs(u.Data[i*u.Stride+j]-g.U[i*g.Rank+j]))
				}
			}
			if worst > 1e-9 {
				t.Errorf("U differs from numpy's by up to %.3g", worst)
			}
		})
	}
}

// TestOrthonormalize checks both paths: Cholesky QR on a well-conditioned
// matrix, Householder QR on one whose columns are dependent.
func TestOrthonormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	well := newGeneral(50, 6)
	for i := range well.Data {
		well.Data[i] = rng.NormFloat64()
	}
	dependent := newGeneral(50, 6)
	copy(dependent.Data, well.Data)
	for i := range 50 {
		dependent.Data[i*6+5] = dependent.Data[i*6] + 2*dependent.Data[i*6+1]
	}
	for name, a := range map[string]blas64.General{"well conditioned": well, "dependent columns": dependent} {
		t.Run(name, func(t *testing.T) {
			orig := newGeneral(a.Rows, a.Cols)
			copy(orig.Data, a.Data)
			orthonormalize(a)
			orthonormalize(a)
			g := newGeneral(a.Cols, a.Cols)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, a, a, 0, g)
			for i := range a.Cols {
				for j := range a.Cols {
					if want := float64(btoi(i == j)); math.Abs(g.Data[i*a.Cols+j]-want) > 1e-12 {
						t.Fatalf("QᵀQ[%d,%d] = %g", i, j, g.Data[i*a.Cols+j])
					}
				}
			}
			// The span is kept: the first column of the input is in it.
			proj := make([]float64, a.Cols)
			res := 0.0
			for j := range a.Cols {
				for i := range a.Rows {
					proj[j] += a.Data[i*a.Cols+j] * orig.Data[i*a.Cols]
				}
			}
			for i := range a.Rows {
				r := orig.Data[i*a.Cols]
				for j := range a.Cols {
					r -= a.Data[i*a.Cols+j] * proj[j]
				}
				res += r * r
			}
			if res > 1e-20 {
				t.Errorf("first column leaves the span by %g", math.Sqrt(res))
			}
		})
	}
}

// synthetic returns a WordLevel tokenizer of words w0…w{n−1} and a text of
// sentences, each mixing frequent words with words of one of a few
// topics, so that co-occurrence has structure to find.
func synthetic(t testing.TB, n, sentences int) (*tokenizer.Tokenizer, string) {
	t.Helper()
	vocab := map[string]int{"[UNK]": 0}
	for i := 1; i < n; i++ {
		vocab[fmt.Sprintf("w%d", i)] = i
	}
	spec := map[string]any{
		"added_tokens":  []any{map[string]any{"id": 0, "content": "[UNK]", "special": true}},
		"pre_tokenizer": map[string]any{"type": "WhitespaceSplit"},
		"model":         map[string]any{"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
	}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	common := rand.NewZipf(rng, 1.2, 1, 99)
	topical := rand.NewZipf(rng, 1.1, 1, uint64(n-101))
	var text strings.Builder
	for s := range sentences {
		topic := rng.IntN(8)
		for range 5 + rng.IntN(15) {
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&text, "w%d ", 1+common.Uint64())
			} else {
				fmt.Fprintf(&text, "w%d ", 100+(int(topical.Uint64())*8+topic)%(n-100))
			}
		}
		text.WriteString("\n")
		if s%4 == 3 {
			text.WriteString("\n")
		}
	}
	return tok, text.String()
}

// TestVectorsDeterministic builds vectors with 1 to 8 cores, the counts
// pruned on the way, and wants the same bits.
func TestVectorsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds vectors four times")
	}
	tok, text := synthetic(t, 3000, 20_000)
	build := func(procs int) *Vectors {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		counts, err := count(context.Background(), tok, strings.NewReader(text), CountOptions{MaxPairs: 40_000}, 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		if counts.Prunings == 0 {
			t.Fatal("no pruning: raise the text or lower MaxPairs")
		}
		v, err := counts.Vectors(context.Background(), VectorOptions{Dims: 150, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := build(1)
	if want.Len() < 1000 || want.Table.Cols != 150 {
		t.Fatalf("%d tokens with %d-dimensional vectors: too small to exercise the parallel paths", want.Len(), want.Table.Cols)
	}
	for _, procs := range []int{2, 3, 8} {
		got := build(procs)
		for i, x := range want.Table.Data {
			if math.Float32bits(got.Table.Data[i]) != math.Float32bits(x) {
				t.Fatalf("GOMAXPROCS %d: entry %d is %v, with 1 core %v", procs, i, got.Table.Data[i], x)
			}
		}
	}
}

// TestVectorsFindStructure checks on the synthetic text that words of one
// topic are nearer each other than words of different topics.
func TestVectorsFindStructure(t *testing.T) {
	tok, text := synthetic(t, 1000, 5_000)
	counts, err := Count(context.Background(), tok, strings.NewReader(text), CountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := counts.Vectors(context.Background(), VectorOptions{Dims: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cos := func(x, y int) float64 {
		rx := v.Table.Data[x*v.Table.Stride : x*v.Table.Stride+v.Table.Cols]
		ry := v.Table.Data[y*v.Table.Stride : y*v.Table.Stride+v.Table.Cols]
		var dot, nx, ny float64
		for j := range rx {
			dot += float64(rx[j]) * float64(ry[j])
			nx += float64(rx[j]) * float64(rx[j])
			ny += float64(ry[j]) * float64(ry[j])
		}
		return dot / math.Sqrt(nx*ny)
	}
	// Topical word w(100+k) belongs to topic k mod 8 (for k below 900).
	var same, other float64
	var ns, no int
	for x := 100; x < 160; x++ {
		for y := x + 1; y < 160; y++ {
			if !v.Has(x) || !v.Has(y) {
				continue
			}
			if (x-100)%8 == (y-100)%8 {
				same += cos(x, y)
				ns++
			} else {
				other += cos(x, y)
				no++
			}
		}
	}
	if ns == 0 || no == 0 || same/float64(ns) < other/float64(no)+0.2 {
		t.Errorf("mean cosine within topics %.3f (%d pairs), across %.3f (%d pairs)", same/float64(ns), ns, other/float64(no), no)
	}
}

func TestVectorsToy(t *testing.T) {
	counts := countToy(t)
	v, err := counts.Vectors(context.Background(), VectorOptions{MinCount: 1, Alpha: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Five tokens have a row; f never occurs and [UNK] is special.
	if v.Table.Rows != 7 || v.Table.Cols != 5 || v.Len() != 5 || v.Has(f) || v.Has(unk) {
		t.Fatalf("table %d×%d, %d vectors; f %v, [UNK] %v", v.Table.Rows, v.Table.Cols, v.Len(), v.Has(f), v.Has(unk))
	}
	for _, id := range []int{unk, f} {
		for _, x := range v.Table.Data[id*v.Table.Stride : (id+1)*v.Table.Stride] {
			if x != 0 {
				t.Fatalf("row %d is not zero", id)
			}
		}
	}
	for j := 1; j < len(v.Singular); j++ {
		if v.Singular[j] > v.Singular[j-1] {
			t.Errorf("singular values not decreasing: %v", v.Singular)
		}
	}
	// With every direction kept and Exponent 1, the rows of U·Σ reproduce
	// the Gram matrix of the PPMI rows: ⟨v_w, v_x⟩ = Σ_c PPMI(w,c)·PPMI(x,c).
	v1, err := counts.Vectors(context.Background(), VectorOptions{MinCount: 1, Alpha: 1, Exponent: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := counts.PPMI(VectorOptions{MinCount: 1, Alpha: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.IDs {
		for _, x := range m.IDs {
			want := 0.0
			for _, ctx := range m.IDs {
				want += m.At(w, ctx) * m.At(x, ctx)
			}
			got := 0.0
			for j := range v1.Table.Cols {
				got += float64(v1.Table.Data[w*v1.Table.Stride+j]) * float64(v1.Table.Data[x*v1.Table.Stride+j])
			}
			if math.Abs(got-want) > 1e-5 {
				t.Errorf("⟨v%d, v%d⟩ = %.6f, want %.6f", w, x, got, want)
			}
		}
	}
}

func TestVectorsRejects(t *testing.T) {
	counts := countToy(t)
	if _, err := counts.Vectors(context.Background(), VectorOptions{MinCount: 4}); !errors.Is(err, ErrNoCooccurrence) {
		t.Errorf("no token occurs 4 times: error %v, want ErrNoCooccurrence", err)
	}
	bad := []VectorOptions{
		{MinCount: -1}, {Alpha: 1.5}, {Alpha: math.NaN()}, {Shift: -1}, {Dims: -3},
		{Shift: 0.5}, {Shift: math.Inf(1)}, {Oversample: -1}, {PowerIterations: -2},
		{Exponent: 2}, {Exponent: -0.5}, {Exponent: math.NaN()},
	}
	for _, opts := range bad {
		if _, err := counts.Vectors(context.Background(), opts); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v, want ErrOptions", opts, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := counts.Vectors(ctx, VectorOptions{MinCount: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

// TestVectorsOptionsRoundTrip checks that the options a Vectors reports
// build the same table again, sentinels included, and that NoExponent
// gives U itself: columns of unit length.
func TestVectorsOptionsRoundTrip(t *testing.T) {
	tok, text := synthetic(t, 400, 1000)
	counts, err := Count(context.Background(), tok, strings.NewReader(text), CountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := counts.Vectors(context.Background(), VectorOptions{Dims: 12, Exponent: NoExponent, PowerIterations: NoPowerIterations, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if first.Options.Exponent != NoExponent || first.Options.PowerIterations != NoPowerIterations || first.Options.MinCount != DefaultMinCount {
		t.Errorf("reported options %+v", first.Options)
	}
	again, err := counts.Vectors(context.Background(), first.Options)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range first.Table.Data {
		if again.Table.Data[i] != x {
			t.Fatalf("entry %d: %v, then %v", i, x, again.Table.Data[i])
		}
	}
	for j := range first.Table.Cols {
		norm := 0.0
		for id := range first.Table.Rows {
			x := float64(first.Table.Data[id*first.Table.Stride+j])
			norm += x * x
		}
		if math.Abs(norm-1) > 1e-5 {
			t.Errorf("column %d has squared length %v, want 1", j, norm)
		}
	}
}
