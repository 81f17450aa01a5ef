package eval

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/heuristics"
)

// sampleReport has every part, with numbers chosen to be recognizable.
func sampleReport() *Report {
	r := &Report{Text: "heldout.txt"}
	res := func(bits float64, tokens int) Result {
		return Result{NLL: bits * math.Ln2, Tokens: tokens, Bytes: 1000, Windows: 4}
	}
	r.AddModel(newModelScore("runs/mean", res(4339, 900), 256, 256), false)
	r.AddModel(newModelScore("/models/A", res(1878.2, 1000), 256, 256), true)
	r.AddModel(newModelScore("runs/omp", res(2095, 900), 256, 128), false)
	r.Efficiency = &Efficiency{Bytes: 1000, Words: 200,
		Old: TokenizerEfficiency{Tokens: 300, BytesPerToken: 3.333, TokensPerWord: 1.5, ByteFallbackFraction: 0.045},
		New: TokenizerEfficiency{Tokens: 280, BytesPerToken: 3.571, TokensPerWord: 1.4, NotSharedShare: 0.1273}}
	cos := func(c float64) []float64 {
		v := make([]float64, 50)
		for i := range v {
			v[i] = c - 0.3 + 0.6*float64(i)/49
		}
		return v
	}
	mr := func(name string, c float64) MethodReconstruction {
		m := MethodReconstruction{Method: name, Cosines: cos(c), Counts: map[string]int{name: 49, "mean (no pieces)": 1}}
		m.Cosine = Summarize(m.Cosines)
		m.RelativeL2 = Stats{Mean: 1 - c, Median: 1 - c, P10: 0.5 - c/2, P90: 1.5 - c}
		m.Baseline = name == "mean"
		return m
	}
	r.Reconstruction = &ReconstructionReport{Seed: 7, Eligible: 20984, HeldOut: make([]int, 50), Anchors: 20934,
		Tables: []TableReconstruction{
			{Table: heuristics.InputEmbedding, Tensor: "model.embed_tokens.weight", Methods: []MethodReconstruction{mr("mean", 0.1), mr("subword", 0.5), mr("omp", 0.7)}},
			{Table: heuristics.OutputHead, Tensor: "lm_head.weight", Methods: []MethodReconstruction{mr("mean", 0.2), mr("subword", 0.4), mr("omp", 0.8)}},
		}}
	return r
}

func TestAddModelRatios(t *testing.T) {
	r := sampleReport()
	want := map[string]float64{"mean": 4339 / 1878.2, "A": 1, "omp": 2095 / 1878.2}
	for _, m := range r.Models {
		if math.Abs(m.Ratio-want[m.Name]) > 1e-12 || m.Baseline != (m.Name == "A") {
			t.Errorf("%s: ratio %v (baseline %v), want %v", m.Name, m.Ratio, m.Baseline, want[m.Name])
		}
		if math.Abs(m.BitsPerByte*1000-map[string]float64{"mean": 4339, "A": 1878.2, "omp": 2095}[m.Name]) > 1e-9 {
			t.Errorf("%s: %v bits per byte", m.Name, m.BitsPerByte)
		}
	}
	var none Report
	none.AddModel(newModelScore("x", Result{NLL: 1, Tokens: 1, Bytes: 1}, 8, 8), false)
	if none.Models[0].Ratio != 0 {
		t.Errorf("ratio %v without a baseline", none.Models[0].Ratio)
	}
}

func TestTables(t *testing.T) {
	ts := sampleReport().Tables()
	var titles []string
	for _, tb := range ts {
		titles = append(titles, tb.Title)
		for _, row := range tb.Rows {
			if len(row) != len(tb.Header) {
				t.Errorf("%s: row %v has %d cells for %d columns", tb.Title, row, len(row), len(tb.Header))
			}
		}
	}
	want := "Bits per byte|Tokenization efficiency|Reconstruction: input embedding|Reconstruction: output head"
	if got := strings.Join(titles, "|"); got != want {
		t.Fatalf("tables %s, want %s", got, want)
	}
	if row := ts[0].Rows[1]; row[0] != "A (baseline)" || row[1] != "1.8782" || row[2] != "1.000" {
		t.Errorf("baseline row %v", row)
	}
	if row := ts[0].Rows[2]; row[2] != "1.115" || row[6] != "256/128" {
		t.Errorf("omp row %v", row)
	}
	if row := ts[1].Rows[5]; row[1] != "0.00%" || row[2] != "12.73%" {
		t.Errorf("efficiency share row %v", row)
	}
	if row := ts[3].Rows[2]; row[0] != "omp" || row[1] != "0.800" || row[7] != "omp 49, mean (no pieces) 1" {
		t.Errorf("reconstruction row %v", row)
	}
}

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	r := sampleReport()
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Bits per byte", "| A (baseline) | 1.8782 |", "![bits per byte of each model](bits-per-byte.png)",
		"## Reconstruction: output head", "(reconstruction-output-head.png)", "## Tokenization efficiency"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	var back Report
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &back); err != nil || len(back.Models) != 3 || back.Reconstruction.Tables[1].Methods[2].Cosine != r.Reconstruction.Tables[1].Methods[2].Cosine {
		t.Errorf("report.json does not read back: %v", err)
	}
	for _, name := range []string{"bits-per-byte.png", "reconstruction-input-embedding.png", "reconstruction-output-head.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 350 {
			t.Errorf("%s is %v: too small to read", name, b)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("%d files in the report directory, want 5 (no temporary files left)", len(entries))
	}
	// Writing again replaces the files.
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
}

func TestWriteDirError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := sampleReport().WriteDir(file); err == nil {
		t.Error("writing a report into a file succeeded")
	}
}
