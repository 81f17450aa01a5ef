package transplant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
	"github.com/transplant-dev/transplant/safetensors"
	"github.com/transplant-dev/transplant/tokenizer"
)

// tokenizerDir is one of the tokenizers the tokenizer package keeps: real
// ones, and small synthetic ones ("synth-...") for fast tests.
func tokenizerDir(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	if strings.HasPrefix(name, "synth-") {
		return filepath.Join("tokenizer", "testdata", "synthetic", name)
	}
	return filepath.Join("tokenizer", "testdata", "tokenizers", name)
}

// tinyModel describes a small Llama-style model built for a test.
type tinyModel struct {
	tokenizer string // name under tokenizer/testdata/tokenizers, or an absolute path
	rows      int    // embedding rows (0: one per token id)
	hidden    int
	tied      bool
	headBias  bool
	config    map[string]any // extra config.json keys
	seed      uint64         // varies the weights: a "fine-tune" of the same shape
}

// write builds the model directory: random BF16 tables, a body tensor, the
// tokenizer's files, config.json and generation_config.json.
func (m tinyModel) write(t *testing.T, dir string) string {
	t.Helper()
	files, err := tokenizer.Files(tokenizerDir(m.tokenizer))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(tokenizerDir(m.tokenizer))
	if err != nil {
		t.Fatal(err)
	}
	rows := m.rows
	if rows == 0 {
		rows = tok.VocabSize()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	rng := rand.New(rand.NewPCG(1+m.seed, uint64(rows)))
	tensors := map[string][]int{"model.embed_tokens.weight": {rows, m.hidden}, "model.norm.weight": {m.hidden}}
	if !m.tied {
		tensors["lm_head.weight"] = []int{rows, m.hidden}
	}
	if m.headBias {
		tensors["lm_head.bias"] = []int{rows}
	}
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), tensors, rng)
	sp := tok.Specials()
	cfg := map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama", "hidden_size": m.hidden,
		"vocab_size": rows, "tie_word_embeddings": m.tied, "bos_token_id": sp.BOS, "eos_token_id": sp.EOS,
		"torch_dtype": "bfloat16",
	}
	if m.headBias {
		cfg["architectures"], cfg["model_type"] = []string{"PhiForCausalLM"}, "phi"
	}
	for k, v := range m.config {
		cfg[k] = v
	}
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	writeJSON(t, filepath.Join(dir, "generation_config.json"), map[string]any{"bos_token_id": sp.BOS, "eos_token_id": sp.EOS})
	return dir
}

func writeSafetensors(t *testing.T, path string, shapes map[string][]int, rng *rand.Rand) {
	t.Helper()
	var infos []safetensors.TensorInfo
	for _, name := range sortedNames(shapes) {
		infos = append(infos, safetensors.TensorInfo{Name: name, Dtype: safetensors.BF16, Shape: shapes[name]})
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := safetensors.NewWriter(f, infos, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		n := 1
		for _, d := range info.Shape {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64())
		}
		buf := make([]byte, 2*n)
		if err := safetensors.FromFloat32(buf, vals, safetensors.BF16); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteTensor(info.Name, bytes.NewReader(buf)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func sortedNames(m map[string][]int) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, data)
}

// job is one transplant of a test: inputs, methods (subword when none)
// and the options of Build and Write, explanations by name.
type job struct {
	in        Inputs
	c         Choice
	seed      uint64
	explain   []string
	tokenRows bool
	checksums bool
}

// run opens, builds and writes the job into dir/out.
func (j job) run(ctx context.Context, dir string) (string, *Report, error) {
	if j.c.Input == nil {
		j.c.Input = heuristics.Subword{}
	}
	s, err := Open(ctx, j.in)
	if err != nil {
		return "", nil, err
	}
	defer s.Close()
	ids, err := s.ResolveTokens(j.explain)
	if err != nil {
		return "", nil, err
	}
	b, err := s.Build(ctx, j.c, BuildOptions{Seed: j.seed})
	if err != nil {
		return "", nil, err
	}
	out := filepath.Join(dir, "out")
	rep, err := s.Write(ctx, out, b, WriteOptions{Explain: ids, TokenRows: j.tokenRows, Checksums: j.checksums})
	return out, rep, err
}

func transplantT(t *testing.T, j job) (string, *Report) {
	t.Helper()
	out, rep, err := j.run(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

func open(t *testing.T, dir string) *checkpoint.Model {
	t.Helper()
	m, err := checkpoint.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func raw(t *testing.T, m *checkpoint.Model, name string) []byte {
	t.Helper()
	b, err := m.Raw(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A transplant onto the base's own tokenizer reproduces the base: every
// tensor byte for byte.
func TestOwnTokenizerReproducesBase(t *testing.T) {
	for _, tm := range []tinyModel{
		{tokenizer: "gpt2", hidden: 8},
		{tokenizer: "mistral-7b-v0.1", hidden: 8, tied: true},
	} {
		t.Run(tm.tokenizer, func(t *testing.T) {
			base := tm.write(t, filepath.Join(t.TempDir(), "base"))
			out, _ := transplantT(t, job{in: Inputs{Base: base, Tokenizer: base}})
			got, want := open(t, out), open(t, base)
			if len(got.Tensors()) != len(want.Tensors()) {
				t.Fatalf("%d tensors, want %d", len(got.Tensors()), len(want.Tensors()))
			}
			for _, tn := range want.Tensors() {
				if !bytes.Equal(raw(t, got, tn.Name), raw(t, want, tn.Name)) {
					t.Errorf("%s differs", tn.Name)
				}
			}
			if got.Config().VocabSize() != want.Config().VocabSize() {
				t.Errorf("vocab_size %d, want %d", got.Config().VocabSize(), want.Config().VocabSize())
			}
		})
	}
}

// Across families, shared rows are the base's rows bit for bit, the rest
// of the body is copied, and config, generation config and tokenizer files
// describe the new vocabulary.
func TestAcrossFamilies(t *testing.T) {
	base := tinyModel{tokenizer: "mistral-7b-v0.1", hidden: 8}.write(t, filepath.Join(t.TempDir(), "base"))
	out, rep := transplantT(t, job{in: Inputs{Base: base, Tokenizer: tokenizerDir("gpt2")}})
	got, old := open(t, out), open(t, base)
	newTok, _ := tokenizer.Load(out)
	oldTok, _ := tokenizer.Load(base)
	if newTok.VocabSize() != 50257 {
		t.Fatalf("output tokenizer has %d ids", newTok.VocabSize())
	}
	a, err := align.Align(align.FromTokenizer(oldTok), align.FromTokenizer(newTok), align.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"model.embed_tokens.weight", "lm_head.weight"} {
		g, _, err := got.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		o, _, _ := old.Float32(name)
		const h = 8
		if len(g) != 50257*h {
			t.Fatalf("%s has %d values", name, len(g))
		}
		for id, k := range a.Kind {
			if k.Copied() && !slices.Equal(g[id*h:(id+1)*h], o[a.Source[id]*h:(a.Source[id]+1)*h]) {
				t.Fatalf("%s: shared row %d is not old row %d", name, id, a.Source[id])
			}
		}
	}
	if !bytes.Equal(raw(t, got, "model.norm.weight"), raw(t, old, "model.norm.weight")) {
		t.Error("body tensor changed")
	}
	cfg := got.Config()
	eos := newTok.Specials().EOS
	if cfg.VocabSize() != 50257 || !slices.Equal(cfg.TokenIDs("eos_token_id"), []int{eos}) {
		t.Errorf("config vocab_size %d, eos %v; want 50257, [%d]", cfg.VocabSize(), cfg.TokenIDs("eos_token_id"), eos)
	}
	gen, err := checkpoint.ReadConfig(filepath.Join(out, "generation_config.json"))
	if err != nil || !slices.Equal(gen.TokenIDs("eos_token_id"), []int{eos}) {
		t.Errorf("generation_config eos %v (%v)", gen.TokenIDs("eos_token_id"), err)
	}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json", "transplant.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "special_tokens_map.json")); err == nil {
		t.Error("the base's special_tokens_map.json came along")
	}
	if n := rep.Tables[0].Counts["copied"] + rep.Tables[0].Counts["subword"] + rep.Tables[0].Counts["mean (no pieces)"]; n != 50257 {
		t.Errorf("counts %v do not add up to the vocabulary", rep.Tables[0].Counts)
	}
}

// A base padded past its vocabulary gets a padded output, and a head bias
// is rebuilt with its head.
func TestPaddingAndBias(t *testing.T) {
	base := tinyModel{tokenizer: "gpt2", rows: 50304, hidden: 4, headBias: true}.write(t, filepath.Join(t.TempDir(), "base"))
	out, rep := transplantT(t, job{in: Inputs{Base: base, Tokenizer: tokenizerDir("mistral-7b-v0.1")}, c: Choice{Input: heuristics.Mean{}}})
	got := open(t, out)
	emb, _ := got.Embedding()
	if emb.Shape[0] != 32000 || got.Config().VocabSize() != 32000 {
		t.Errorf("rows %d, vocab_size %d; want 32000 (a multiple of 128)", emb.Shape[0], got.Config().VocabSize())
	}
	bias, ok := got.Tensor("lm_head.bias")
	if !ok || !slices.Equal(bias.Shape, []int{32000}) {
		t.Errorf("bias %+v", bias)
	}
	if rep.Tables[1].Counts["mean"] == 0 {
		t.Errorf("head counts %v", rep.Tables[1].Counts)
	}
	// Shared rows keep their bias and weights; new rows get the mean of both.
	old := open(t, base)
	oldBias, _, _ := old.Float32("lm_head.bias")
	newBias, _, _ := got.Float32("lm_head.bias")
	oldW, _, _ := old.Float32("lm_head.weight")
	newW, _, _ := got.Float32("lm_head.weight")
	oldTok, _ := tokenizer.Load(base)
	newTok, _ := tokenizer.Load(out)
	a, _ := align.Align(align.FromTokenizer(oldTok), align.FromTokenizer(newTok), align.Options{OldRows: 50304})
	var sum float64
	for _, b := range oldBias[:oldTok.VocabSize()] {
		sum += float64(b)
	}
	mean := float32(sum / float64(oldTok.VocabSize()))
	for id, k := range a.Kind[:32000] {
		switch {
		case k.Copied():
			if newBias[id] != oldBias[a.Source[id]] || !slices.Equal(newW[id*4:id*4+4], oldW[a.Source[id]*4:a.Source[id]*4+4]) {
				t.Fatalf("row %d: bias %v, want %v", id, newBias[id], oldBias[a.Source[id]])
			}
		case k == align.New:
			// BF16 rounding of the mean.
			if d := newBias[id] - mean; d > 0.01 || d < -0.01 {
				t.Fatalf("new row %d: bias %v, want the mean %v", id, newBias[id], mean)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	base := tinyModel{tokenizer: "gpt2", hidden: 4}.write(t, filepath.Join(dir, "base"))
	donor := tinyModel{tokenizer: "mistral-7b-v0.1", hidden: 4}.write(t, filepath.Join(dir, "donor"))
	short := tinyModel{tokenizer: "mistral-7b-v0.1", rows: 100, hidden: 4}.write(t, filepath.Join(dir, "short"))
	// A donor whose tokenizer is some other one: copy the gpt2 tokenizer over it.
	liar := tinyModel{tokenizer: "mistral-7b-v0.1", hidden: 4}.write(t, filepath.Join(dir, "liar"))
	files, _ := tokenizer.Files(tokenizerDir("gpt2"))
	writeFile(t, filepath.Join(liar, "tokenizer.json"), files["tokenizer.json"])
	// A tokenizer whose config names special tokens it does not have.
	broken := filepath.Join(dir, "broken")
	os.MkdirAll(broken, 0o755)
	writeFile(t, filepath.Join(broken, "tokenizer.json"), files["tokenizer.json"])
	writeFile(t, filepath.Join(broken, "tokenizer_config.json"), []byte(`{"bos_token": "<s>", "eos_token": "</s>"}`))
	mistral := tokenizerDir("mistral-7b-v0.1")
	mean := Choice{Input: heuristics.Mean{}}
	tests := []struct {
		name string
		job  job
		want string
		is   error
	}{
		{"knn without donor", job{in: Inputs{Base: base, Tokenizer: mistral}, c: Choice{Input: heuristics.KNN{K: 2, Temperature: 1}}}, "needs a donor", heuristics.ErrNoDonor},
		{"omp without donor", job{in: Inputs{Base: base, Tokenizer: mistral}, c: Choice{Input: omp.Method{}}}, "needs a donor", heuristics.ErrNoDonor},
		{"donor rows short of its tokenizer", job{in: Inputs{Base: base, Donor: short}, c: mean}, "100 rows", ErrVocabularyMismatch},
		{"donor tokenizer is not the new one", job{in: Inputs{Base: base, Tokenizer: mistral, Donor: liar}, c: mean}, "not the new tokenizer", ErrVocabularyMismatch},
		{"map names a missing token", job{in: Inputs{Base: base, Donor: donor, Map: map[string]string{"<|nope|>": "</s>"}}, c: mean}, "<|nope|>", nil},
		{"special tokens missing", job{in: Inputs{Base: base, Tokenizer: broken}, c: mean}, "eos_token: </s>", nil},
		{"no base", job{in: Inputs{Base: filepath.Join(dir, "missing"), Tokenizer: base}, c: mean}, "missing", nil},
		{"unknown token to explain", job{in: Inputs{Base: base, Tokenizer: mistral}, c: mean, explain: []string{"no such token here"}}, "no such token", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := tt.job.run(context.Background(), t.TempDir())
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("error %q does not mention %q or wrap %v", err, tt.want, tt.is)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an output appeared")
			}
		})
	}
	// An output inside the input is refused, and nothing appears there.
	s, err := Open(context.Background(), Inputs{Base: base, Tokenizer: base})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Build(context.Background(), mean, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(base, "out")
	if _, err := s.Write(context.Background(), inside, b, WriteOptions{}); !errors.Is(err, checkpoint.ErrOutputInsideInput) {
		t.Errorf("output inside input: %v", err)
	}
	if _, err := os.Stat(inside); err == nil {
		t.Error("output appeared inside the input")
	}
}

// The report names its inputs with checksums and says how each table was
// built; a run repeated with the same seed writes the same bytes. Its
// outputs are listed with their checksums when asked, and with their sizes
// alone otherwise.
func TestReportAndDeterminism(t *testing.T) {
	base := tinyModel{tokenizer: "gpt2", hidden: 4}.write(t, filepath.Join(t.TempDir(), "base"))
	j := job{in: Inputs{Base: base, Tokenizer: tokenizerDir("mistral-7b-v0.1")}, c: Choice{Input: heuristics.Randn{Scale: 1}}, seed: 3, checksums: true}
	out1, rep := transplantT(t, j)
	out2, _ := transplantT(t, j)
	for _, name := range []string{"model.safetensors", "transplant.json", "config.json"} {
		a, _ := os.ReadFile(filepath.Join(out1, name))
		b, _ := os.ReadFile(filepath.Join(out2, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between identical runs", name)
		}
	}
	if len(rep.Inputs) == 0 {
		t.Fatal("no inputs in the report")
	}
	for _, in := range rep.Inputs {
		if len(in.SHA256) != 64 {
			t.Errorf("%s: checksum %q", in.Path, in.SHA256)
		}
	}
	if rep.Tables[0].Method != "randn" || rep.Tables[0].Counts["randn"] == 0 {
		t.Errorf("table report %+v", rep.Tables[0])
	}
	// Every other file of the output is listed with its checksum.
	entries, _ := os.ReadDir(out1)
	if len(rep.Outputs) != len(entries)-1 {
		t.Errorf("%d outputs listed for %d files besides transplant.json", len(rep.Outputs), len(entries)-1)
	}
	for _, f := range rep.Outputs {
		data, err := os.ReadFile(filepath.Join(out1, f.Name))
		if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Bytes {
			t.Errorf("%s: listed %+v (%v)", f.Name, f, err)
		}
	}
	j.checksums = false
	out3, rep3 := transplantT(t, j)
	a, _ := os.ReadFile(filepath.Join(out1, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(out3, "model.safetensors"))
	if !bytes.Equal(a, b) || len(rep3.Outputs) != len(rep.Outputs) {
		t.Fatalf("without checksums: weights equal %v, %d outputs listed, want %d", bytes.Equal(a, b), len(rep3.Outputs), len(rep.Outputs))
	}
	for i, f := range rep3.Outputs {
		if want := rep.Outputs[i]; f.SHA256 != "" || f.Name != want.Name || f.Bytes != want.Bytes {
			t.Errorf("without checksums: listed %+v, want %s of %d bytes and no checksum", f, want.Name, want.Bytes)
		}
	}
}

// Explanations name the old rows a new row comes from, with weights that
// match the method.
func TestExplain(t *testing.T) {
	base := tinyModel{tokenizer: "mistral-7b-v0.1", hidden: 4}.write(t, filepath.Join(t.TempDir(), "base"))
	j := job{in: Inputs{Base: base, Tokenizer: tokenizerDir("gpt2")}, c: Choice{Input: heuristics.Subword{Output: heuristics.CombineFirst}},
		explain: []string{"Ġthe", " transplant", "#50256", "<|endoftext|>"}}
	_, rep := transplantT(t, j)
	got := map[string]TokenRow{}
	for _, r := range rep.Explanations {
		got[r.Table.String()+" "+r.Token] = r
	}
	if r := got["input embedding Ġthe"]; r.How != "copied" || r.From == nil || r.From.Token != "▁the" {
		t.Errorf("Ġthe: %+v", r)
	}
	if r := got["input embedding <|endoftext|>"]; r.How != "copied" || r.From == nil || r.From.Token != "</s>" {
		t.Errorf("<|endoftext|>: %+v", r)
	}
	in, out := got["input embedding Ġtransplant"], got["output head Ġtransplant"]
	if len(in.Terms) != 2 || in.Terms[0].Token != "▁trans" || in.Terms[1].Token != "plant" || in.Terms[0].Weight != 0.5 {
		t.Errorf("input Ġtransplant: %+v", in)
	}
	if len(out.Terms) != 1 || out.Terms[0].Token != "▁trans" || out.Terms[0].Weight != 1 {
		t.Errorf("output Ġtransplant (first piece): %+v", out)
	}
}

// Every method's rows are explained by their terms: the whole-table terms
// of mean and randn included.
func TestExplainEveryMethod(t *testing.T) {
	dir := t.TempDir()
	base := tinyModel{tokenizer: "synth-unigram", hidden: 4}.write(t, filepath.Join(dir, "base"))
	donor := tinyModel{tokenizer: "synth-bytelevel-added", hidden: 6}.write(t, filepath.Join(dir, "donor"))
	for _, tc := range []struct {
		m     heuristics.Method
		check func(r TokenRow) bool
	}{
		{heuristics.Zero{}, func(r TokenRow) bool { return len(r.Terms) == 0 && r.Mean == 0 && r.Noise == nil }},
		{heuristics.Mean{}, func(r TokenRow) bool { return len(r.Terms) == 0 && r.Mean == 1 }},
		{heuristics.Randn{Scale: 1}, func(r TokenRow) bool { return r.Mean == 1 && r.Noise != nil && r.Noise.Seed == 5 }},
		{heuristics.Subword{}, func(r TokenRow) bool { return len(r.Terms) > 0 && sumWeights(r.Terms) > 0.999 }},
		{heuristics.KNN{K: 3, Temperature: 0.1}, func(r TokenRow) bool {
			return len(r.Terms) == 3 && sumWeights(r.Terms) > 0.999 && r.Measures["similarity"] != 0
		}},
		{heuristics.DefaultHybrid(), func(r TokenRow) bool { return len(r.Terms) > 0 && sumWeights(r.Terms) > 0.999 }},
		{omp.Method{Options: omp.Options{K: 3}}, func(r TokenRow) bool {
			res, ok := r.Measures["residual"]
			return len(r.Terms) <= 3 && ok && res <= 1
		}},
	} {
		t.Run(tc.m.Name(), func(t *testing.T) {
			_, rep := transplantT(t, job{in: Inputs{Base: base, Donor: donor}, c: Choice{Input: tc.m}, seed: 5, explain: []string{"#300"}})
			if len(rep.Explanations) != 2 {
				t.Fatalf("%d explanations, want one per table", len(rep.Explanations))
			}
			for _, r := range rep.Explanations {
				if r.How == "copied" || r.How == "padding" || !tc.check(r) {
					t.Errorf("%+v", r)
				}
			}
		})
	}
}

func sumWeights(terms []Term) float64 {
	var s float64
	for _, t := range terms {
		s += t.Weight
	}
	return s
}

// Donor methods run end to end, with donor and base of different widths;
// OMP's explanations and residuals reach the report.
func TestDonorMethods(t *testing.T) {
	dir := t.TempDir()
	base := tinyModel{tokenizer: "synth-unigram", hidden: 4}.write(t, filepath.Join(dir, "base"))
	donor := tinyModel{tokenizer: "synth-bytelevel-added", hidden: 6}.write(t, filepath.Join(dir, "donor"))
	for _, m := range []heuristics.Method{
		omp.Method{Options: omp.Options{K: 3}},
		heuristics.KNN{K: 4, Temperature: 0.1},
		heuristics.DefaultHybrid(),
	} {
		t.Run(m.Name(), func(t *testing.T) {
			out, rep := transplantT(t, job{in: Inputs{Base: base, Donor: donor}, c: Choice{Input: m}, tokenRows: true})
			if got := open(t, out).Config().VocabSize(); got != 3263 {
				t.Errorf("vocab_size %d", got)
			}
			if m.Name() != "omp" {
				return
			}
			if r, ok := rep.Tables[0].Measures["residual"]; !ok || r.Max > 1 {
				t.Errorf("residual summary %+v", rep.Tables[0].Measures)
			}
			if len(rep.Tokens) == 0 {
				t.Fatal("no token rows")
			}
			for _, e := range rep.Tokens {
				if !strings.HasPrefix(e.How, "omp") || len(e.Terms) > 3 || e.Measures["residual"] > 1 {
					t.Fatalf("token row %+v", e)
				}
			}
		})
	}
}

// A plan counts what OMP's solver will allocate, and refuses options that
// cannot fit its memory budget before any work is done.
func TestPlanCountsOMPMemory(t *testing.T) {
	dir := t.TempDir()
	base := tinyModel{tokenizer: "synth-unigram", hidden: 4}.write(t, filepath.Join(dir, "base"))
	donor := tinyModel{tokenizer: "synth-bytelevel-added", hidden: 6}.write(t, filepath.Join(dir, "donor"))
	s, err := Open(context.Background(), Inputs{Base: base, Donor: donor})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := func(o omp.Options) (Plan, error) { return s.Plan(Choice{Input: omp.Method{Options: o}}, "") }
	meanPlan, err := s.Plan(Choice{Input: heuristics.Mean{}}, "")
	if err != nil {
		t.Fatal(err)
	}
	o := omp.Options{K: 3, MaxMemory: 64 << 20}
	p, err := plan(o)
	if err != nil {
		t.Fatal(err)
	}
	tp := p.Tables[0]
	solver, err := omp.WorkingMemory(tp.Copied, 6, tp.Built, o)
	if err != nil {
		t.Fatal(err)
	}
	if p.MemoryBytes < solver || p.MemoryBytes < meanPlan.MemoryBytes {
		t.Errorf("plan says %d bytes; mean's plan is %d and OMP's solver alone takes %d", p.MemoryBytes, meanPlan.MemoryBytes, solver)
	}
	if _, err := plan(omp.Options{K: 3, MaxMemory: 1 << 20, BatchSize: 100000}); !errors.Is(err, omp.ErrMemory) {
		t.Errorf("a batch too large for the budget: %v, want omp.ErrMemory", err)
	}
}
