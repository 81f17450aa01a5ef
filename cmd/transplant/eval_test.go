package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

const exampleText = "../../testdata/example/heldout.txt"

// exampleSlice writes the first paragraphs of the example text, about
// size bytes, to a temporary file: enough for a window or two.
func exampleSlice(t *testing.T, size int) (path string, text []byte) {
	t.Helper()
	all, err := os.ReadFile(exampleText)
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.Index(all[size:], []byte("\n\n"))
	text = all[:size+end+2]
	path = filepath.Join(t.TempDir(), "slice.txt")
	if err := os.WriteFile(path, text, 0o666); err != nil {
		t.Fatal(err)
	}
	return path, text
}

// evalJSON is the part of eval's JSON output the tests read.
type evalJSON struct {
	Models []struct {
		Name        string  `json:"name"`
		Baseline    bool    `json:"baseline"`
		Tokens      int     `json:"Tokens"`
		Windows     int     `json:"Windows"`
		Context     int     `json:"context"`
		Stride      int     `json:"stride"`
		BitsPerByte float64 `json:"bits_per_byte"`
		Ratio       float64 `json:"ratio_to_baseline"`
		NLL         float64 `json:"NLL"`
		Split       *struct {
			New      splitPart `json:"new"`
			AfterNew splitPart `json:"after_new"`
			Shared   splitPart `json:"shared"`
		} `json:"split"`
		WorstNew []struct {
			ID           int     `json:"id"`
			Token        string  `json:"token"`
			Occurrences  int     `json:"occurrences"`
			Bits         float64 `json:"bits"`
			BaselineBits float64 `json:"baseline_bits"`
		} `json:"worst_new_tokens"`
	} `json:"bits_per_byte"`
	Efficiency *struct {
		Old, New struct {
			Tokens         int     `json:"tokens"`
			NotSharedShare float64 `json:"not_shared_share"`
		}
	} `json:"efficiency"`
	Reconstruction *struct {
		HeldOut []int `json:"held_out"`
		Tables  []struct {
			Table   string `json:"table"`
			Methods []struct {
				Method string `json:"method"`
				Cosine struct {
					Mean float64 `json:"mean"`
				} `json:"cosine"`
			} `json:"methods"`
		} `json:"tables"`
	} `json:"reconstruction"`
}

type splitPart struct {
	Tokens      int     `json:"tokens"`
	Bytes       int     `json:"bytes"`
	Bits        float64 `json:"bits"`
	ByteShare   float64 `json:"byte_share"`
	BitsPerByte float64 `json:"bits_per_byte"`
	// The baseline's bits on the same bytes.
	BaselineBits        float64 `json:"baseline_bits"`
	BaselineBitsPerByte float64 `json:"baseline_bits_per_byte"`
}

func runEvalJSON(t *testing.T, args ...string) evalJSON {
	t.Helper()
	stdout, err := runCLI(t, append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var out evalJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return out
}

// The README's command form, with a baseline: the same model twice has
// ratio 1, and every token of the text is scored once.
func TestEvalModel(t *testing.T) {
	slice, text := exampleSlice(t, 200)
	report := filepath.Join(t.TempDir(), "report")
	out := runEvalJSON(t, "eval", "--model", exampleBase, "--baseline", exampleBase, "--text", slice, "--context", "64", "--stride", "48", "--threads", "2", "--report", report)
	tok, err := tokenizer.Load(exampleBase)
	if err != nil {
		t.Fatal(err)
	}
	tokens := len(tok.Encode(string(text), false))
	if len(out.Models) != 2 || !out.Models[0].Baseline || out.Models[1].Baseline {
		t.Fatalf("models %+v, want the baseline then the model", out.Models)
	}
	for _, m := range out.Models {
		if m.Tokens != tokens || m.Context != 64 || m.Stride != 48 || m.Ratio != 1 || m.BitsPerByte < 0.5 || m.BitsPerByte > 5 {
			t.Errorf("%+v; want %d tokens, context 64/48, ratio 1, a trained model's bits per byte", m, tokens)
		}
	}
	for _, f := range []string{"report.md", "report.json", "bits-per-byte.png"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Error(err)
		}
	}
	md, err := os.ReadFile(filepath.Join(report, "report.md"))
	if err != nil || !bytes.Contains(md, []byte("| base (baseline) |")) {
		t.Errorf("report.md: %v\n%s", err, md)
	}
}

// The token counts are the README's, measured by an independent
// implementation of the scoring protocol (every token but BOS is scored).
func TestEvalEfficiency(t *testing.T) {
	out := runEvalJSON(t, "eval", "efficiency", "--old", exampleBase, "--new", exampleTok, "--text", exampleText)
	if e := out.Efficiency; e == nil || e.Old.Tokens != 55604 || e.New.Tokens != 53273 {
		t.Errorf("efficiency %+v, want 55604 and 53273 tokens", out.Efficiency)
	}
}

func TestEvalReconstruct(t *testing.T) {
	args := []string{"eval", "reconstruct", "--base", exampleBase, "--tokenizer", exampleTok, "--methods", "subword", "--holdout", "200", "--seed", "3"}
	out := runEvalJSON(t, args...)
	r := out.Reconstruction
	if r == nil || len(r.HeldOut) != 200 || len(r.Tables) != 2 {
		t.Fatalf("reconstruction %+v, want 200 tokens held out of 2 tables", r)
	}
	for _, tb := range r.Tables {
		if len(tb.Methods) != 2 || tb.Methods[0].Method != "mean" || tb.Methods[1].Method != "subword" {
			t.Errorf("%s: methods %+v, want the mean baseline and subword", tb.Table, tb.Methods)
		}
	}
	again := runEvalJSON(t, args...)
	if again.Reconstruction.Tables[1].Methods[1].Cosine != r.Tables[1].Methods[1].Cosine {
		t.Error("the same seed gave another result")
	}
	stdout, err := runCLI(t, args...)
	for _, want := range []string{"Reconstruction: output head", "mean (baseline)", "rel L2 p90", "subword 200"} {
		if err != nil || !strings.Contains(stdout, want) {
			t.Errorf("table output lacks %q: %v\n%s", want, err, stdout)
		}
	}
}

// Comparing methods end to end: each one transplants the base and is
// scored against it. Zero-shot, a transplant does worse than its base.
func TestEvalCompareMethods(t *testing.T) {
	slice, _ := exampleSlice(t, 200)
	out := runEvalJSON(t, "eval", "--base", exampleBase, "--tokenizer", exampleTok, "--methods", "subword", "--text", slice, "--holdout", "20", "--context", "64")
	names := []string{}
	for _, m := range out.Models {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "base,subword" || !out.Models[0].Baseline {
		t.Fatalf("models %v, want the base as baseline, then subword", names)
	}
	for _, m := range out.Models[1:] {
		if m.Ratio <= 1 || m.Tokens == out.Models[0].Tokens {
			t.Errorf("%s: %v bits per byte over %d tokens, ratio %v to the base's %v over %d",
				m.Name, m.BitsPerByte, m.Tokens, m.Ratio, out.Models[0].BitsPerByte, out.Models[0].Tokens)
		}
	}
	if out.Efficiency == nil || out.Reconstruction == nil || len(out.Reconstruction.HeldOut) != 20 {
		t.Error("the comparison lacks the efficiency or reconstruction evaluation")
	}
}

// The comparison splits each method's score by the tokens the base's
// vocabulary lacks, and scoring the kept transplant with --model and
// --baseline splits it the same way. A BOS precedes the text, so every
// token is scored and the new tokens' share of the bytes is the one the
// efficiency evaluation measures.
func TestEvalSplit(t *testing.T) {
	slice, _ := exampleSlice(t, 400)
	keep := filepath.Join(t.TempDir(), "kept") // created by eval
	args := []string{"--text", slice, "--context", "64", "--worst", "3"}
	cmp := runEvalJSON(t, append([]string{"eval", "--base", exampleBase, "--tokenizer", exampleTok, "--methods", "subword", "--holdout", "20", "--keep", keep}, args...)...)
	base, sub := cmp.Models[0], cmp.Models[1]
	if base.Split != nil || base.WorstNew != nil {
		t.Errorf("the baseline was split: %+v", base)
	}
	sp := sub.Split
	if sp == nil {
		t.Fatal("subword's score has no split")
	}
	parts := []splitPart{sp.New, sp.AfterNew, sp.Shared}
	var tokens int
	var bits, share, baseBits float64
	for _, p := range parts {
		tokens += p.Tokens
		bits += p.Bits
		share += p.ByteShare
		baseBits += p.BaselineBits
		if p.Tokens == 0 || math.Abs(p.BitsPerByte-p.Bits/float64(p.Bytes)) > 1e-12 ||
			p.BaselineBits <= 0 || math.Abs(p.BaselineBitsPerByte-p.BaselineBits/float64(p.Bytes)) > 1e-12 {
			t.Errorf("part %+v", p)
		}
	}
	if tokens != sub.Tokens || math.Abs(bits-sub.NLL/math.Ln2) > 1e-9*bits || math.Abs(share-1) > 1e-12 {
		t.Errorf("parts: %d tokens, %v bits, shares summing to %v; the score: %d tokens, %v bits", tokens, bits, share, sub.Tokens, sub.NLL/math.Ln2)
	}
	// Both tokenizers spell the text: every bit the base spent is on some part.
	if math.Abs(baseBits-base.NLL/math.Ln2) > 1e-9*baseBits {
		t.Errorf("the parts hold %v of the base's %v bits", baseBits, base.NLL/math.Ln2)
	}
	if e := cmp.Efficiency; e == nil || math.Abs(sp.New.ByteShare-e.New.NotSharedShare) > 1e-12 {
		t.Errorf("new tokens' share %v, the efficiency evaluation's %+v", sp.New.ByteShare, e)
	}
	w := sub.WorstNew
	if len(w) != 3 || w[0].Bits < w[1].Bits || w[1].Bits < w[2].Bits || w[0].Occurrences == 0 || w[2].Token == "" || w[2].BaselineBits <= 0 {
		t.Errorf("worst new tokens %+v, want 3, costliest first", w)
	}

	model := runEvalJSON(t, append([]string{"eval", "--model", filepath.Join(keep, "subword"), "--baseline", exampleBase}, args...)...)
	if got := model.Models[1]; got.Split == nil || *got.Split != *sp || !slices.Equal(got.WorstNew, sub.WorstNew) {
		t.Errorf("--model --baseline split %+v, worst %+v\nthe comparison's %+v, %+v", got.Split, got.WorstNew, sp, sub.WorstNew)
	}
	stdout, err := runCLI(t, append([]string{"eval", "--model", filepath.Join(keep, "subword"), "--baseline", exampleBase}, args...)...)
	for _, want := range []string{"Bits per byte by part of the text", "bytes in new tokens (", "bytes right after a new token (",
		"base (baseline)", "base on the same bytes", "Costliest new tokens: subword", "bits/occurrence", "baseline's bits/byte"} {
		if err != nil || !strings.Contains(stdout, want) {
			t.Errorf("table output lacks %q: %v\n%s", want, err, stdout)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	slice, _ := exampleSlice(t, 100)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--model", exampleBase}, "--text"},
		{[]string{"eval", "--text", slice}, "nothing to score"},
		{[]string{"eval", "--model", "nowhere", "--text", slice}, "nowhere"},
		{[]string{"eval", "--model", exampleBase, "--text", "missing.txt"}, "missing.txt"},
		{[]string{"eval", "--model", exampleBase, "--text", slice, "--context", "8", "--stride", "16"}, "stride"},
		{[]string{"eval", "--base", exampleBase, "--text", slice}, "--methods"},
		{[]string{"eval", "--model", exampleBase, "--text", slice, "--worst", "5"}, "baseline"},
		{[]string{"eval", "reconstruct", "--base", exampleBase, "--tokenizer", exampleTok, "--methods", "knn"}, "donor"},
		{[]string{"eval", "reconstruct", "--base", exampleBase, "--methods", "magic"}, "magic"},
		{[]string{"eval", "reconstruct", "--base", exampleBase, "--holdout", "120%"}, "holdout"},
		{[]string{"eval", "reconstruct", "--base", exampleBase, "--holdout", "-3"}, "holdout"},
		{[]string{"eval", "efficiency", "--old", exampleBase, "--new", "nowhere", "--text", slice}, "new tokenizer"},
		{[]string{"eval", "bogus"}, "bogus"},
	} {
		if _, err := runCLI(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tt.args, err, tt.want)
		}
	}
}
