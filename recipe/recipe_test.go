package recipe

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// sample is a small recipe with every kind of row: terms, a mean, noise,
// measures with missing values, and an empty map.
func sample(n int) *Recipe {
	m := &heuristics.Map{Noise: heuristics.Noise{Scale: 1e-3, Seed: 7}}
	res := make([]float64, n)
	for i := range n {
		r := heuristics.Row{ID: 3 + i, How: []string{"subword", "mean (no pieces)", "randn"}[i%3]}
		switch i % 3 {
		case 0:
			r.Terms = []heuristics.Term{{Old: i % 5, Weight: 0.25}, {Old: 4, Weight: 0.75}}
		case 1:
			r.Mean = 1
		case 2:
			r.Mean, r.Noise = 1, true
		}
		m.Rows = append(m.Rows, r)
		res[i] = float64(i) / 10
		if i%4 == 0 {
			res[i] = math.NaN()
		}
	}
	m.Measures = []heuristics.Measure{{Name: heuristics.MeasureResidual, Values: res}}
	kind := make([]align.Kind, 3+n)
	source := make([]int, 3+n)
	for i := range kind {
		kind[i], source[i] = align.New, -1
		if i < 3 {
			kind[i], source[i] = align.Exact, i
		}
	}
	params, _ := json.Marshal(map[string]any{"K": 3})
	zero := &heuristics.Map{}
	for i := range n {
		zero.Rows = append(zero.Rows, heuristics.Row{ID: 3 + i, How: "zero"})
	}
	return &Recipe{
		Meta: Meta{Tool: "transplant", Version: "test", Seed: 7, Targets: n,
			OldVocabulary: Fingerprint{Size: 5, SHA256: "aa"}, NewTokenizer: Fingerprint{Size: 3 + n, SHA256: "bb"},
			Tables: []Table{{Role: heuristics.InputEmbedding, Tensor: "embed", Cols: 4, Method: "mixed", Params: params},
				{Role: heuristics.OutputHead, Tensor: "head", Cols: 4, Method: "zero", Params: json.RawMessage(`{}`)}}},
		Kind: kind, Source: source,
		Maps:           []*heuristics.Map{m, zero},
		TokenizerFiles: map[string][]byte{"tokenizer.json": []byte(`{"model":{}}`), "tokenizer_config.json": []byte(`{}`)},
	}
}

func encodeBytes(t *testing.T, r *Recipe) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	r := sample(10)
	data := encodeBytes(t, r)
	got, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodeBytes(t, got), data) {
		t.Error("a recipe read back writes other bytes")
	}
	for i, row := range got.Maps[0].Rows {
		want := r.Maps[0].Rows[i]
		if row.ID != want.ID || row.Mean != want.Mean || row.Noise != want.Noise || row.How != want.How || !reflect.DeepEqual(row.Terms, want.Terms) && len(want.Terms) > 0 {
			t.Fatalf("row %d: %+v, want %+v", i, row, want)
		}
	}
	res := got.Maps[0].Measure(heuristics.MeasureResidual)
	if !math.IsNaN(res[0]) || res[1] != 0.1 {
		t.Errorf("residuals %v", res)
	}
	if got.Maps[0].Noise.Scale != 1e-3 || got.Maps[0].Noise.Seed != 7 || !reflect.DeepEqual(got.TokenizerFiles, r.TokenizerFiles) {
		t.Errorf("noise %+v, files %v", got.Maps[0].Noise, got.TokenizerFiles)
	}
	if !reflect.DeepEqual(got.Kind, r.Kind) || !reflect.DeepEqual(got.Source, r.Source) {
		t.Error("alignment differs")
	}
}

// Shards of a recipe, merged in any order, are the whole recipe byte for
// byte; shard ranges tile the targets in whole units.
func TestMerge(t *testing.T) {
	const n = 2*ShardUnit + 100
	whole := sample(n)
	want := encodeBytes(t, whole)
	var parts []*Recipe
	next := 0
	for i := range 3 {
		first, end := ShardRange(i, 3, n)
		if first != next || (end != n && end%ShardUnit != 0) {
			t.Fatalf("shard %d: [%d, %d)", i, first, end)
		}
		next = end
		p := *whole
		p.Meta.Shard = &Shard{Index: i, Count: 3, First: first, End: end}
		p.Maps = nil
		for _, m := range whole.Maps {
			sub := &heuristics.Map{Noise: m.Noise}
			lo, hi := min(first, len(m.Rows)), min(end, len(m.Rows))
			sub.Rows = m.Rows[lo:hi]
			for _, ms := range m.Measures {
				sub.Measures = append(sub.Measures, heuristics.Measure{Name: ms.Name, Values: ms.Values[lo:hi]})
			}
			p.Maps = append(p.Maps, sub)
		}
		// Through the file format, as shards travel.
		data := encodeBytes(t, &p)
		back, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		parts = append([]*Recipe{back}, parts...)
	}
	if next != n {
		t.Fatalf("shards end at %d of %d", next, n)
	}
	merged, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodeBytes(t, merged), want) {
		t.Error("merged shards differ from the whole recipe")
	}
	if _, err := Merge(parts[:2]); err == nil {
		t.Error("a missing shard was accepted")
	}
	other := *parts[0]
	other.Meta.Seed = 8
	if _, err := Merge([]*Recipe{&other, parts[1], parts[2]}); !errors.Is(err, ErrMismatch) {
		t.Errorf("shards of another solve: %v", err)
	}
	if _, err := Merge([]*Recipe{whole}); err == nil {
		t.Error("a whole recipe merged as a shard")
	}
}

// Damaged files are refused with ErrFormat: cut anywhere, or arrays that
// contradict the metadata.
func TestReadRefusesDamage(t *testing.T) {
	data := encodeBytes(t, sample(20))
	for _, cut := range []int{0, 7, 100, len(data) / 2, len(data) - 1} {
		if _, err := Read(bytes.NewReader(data[:cut]), int64(cut)); !errors.Is(err, ErrFormat) {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
	bad := sample(20)
	bad.Maps[0].Rows[3].Terms = []heuristics.Term{{Old: 99, Weight: 1}}
	b := encodeBytes(t, bad)
	if _, err := Read(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrFormat) {
		t.Errorf("a term beyond the old vocabulary: %v", err)
	}
	bad = sample(20)
	bad.Kind[5] = align.Kind(200)
	b = encodeBytes(t, bad)
	if _, err := Read(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrFormat) {
		t.Errorf("a row of an unknown kind: %v", err)
	}
	// A safetensors file that is not a recipe.
	var buf bytes.Buffer
	w, _ := safetensors.NewWriter(&buf, []safetensors.TensorInfo{{Name: "x", Dtype: safetensors.F32, Shape: []int{1}}}, nil)
	w.Write(make([]byte, 4))
	w.Close()
	if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); !errors.Is(err, ErrFormat) {
		t.Errorf("a model file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "r.recipe")
	if err := WriteFile(path, sample(3)); err != nil {
		t.Fatal(err)
	}
	os.Truncate(path, 50)
	if _, err := ReadFile(path); !errors.Is(err, ErrFormat) || !bytes.Contains([]byte(err.Error()), []byte(path)) {
		t.Errorf("truncated file: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(encodeBytes(&testing.T{}, sample(5)))
	f.Add([]byte("not a recipe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		// Anything read is consistent enough to write and read again.
		again := encodeBytes(t, r)
		if _, err := Read(bytes.NewReader(again), int64(len(again))); err != nil {
			t.Fatalf("a recipe read back is refused: %v", err)
		}
	})
}
