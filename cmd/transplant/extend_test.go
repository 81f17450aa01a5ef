package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/tokenizer"
)

// exampleCorpus writes the first 40,000 bytes of the example's text as a
// corpus in a temporary directory, and returns the directory, the corpus
// and the whole text.
func exampleCorpus(t *testing.T) (dir, corpus string, text []byte) {
	t.Helper()
	dir = t.TempDir()
	text, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	corpus = filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, text[:40000], 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, corpus, text
}

// extendTextReport is what extend --json says of --text.
type extendTextReport struct {
	Efficiency struct {
		Old struct{ Tokens int } `json:"old"`
		New struct{ Tokens int } `json:"new"`
	} `json:"efficiency"`
	Models []struct {
		Ratio float64 `json:"ratio_to_baseline"`
	} `json:"bits_per_byte"`
}

// extend on the bundled example: tokens learned on its own held-out text,
// appended after the old ids, the model written with them, and the text
// cut into fewer tokens.
func TestExtend(t *testing.T) {
	dir, corpus, text := exampleCorpus(t)
	heldout := filepath.Join(dir, "heldout.txt")
	os.WriteFile(heldout, text[40000:44000], 0o644)
	out := filepath.Join(dir, "out")
	stdout, err := runCLI(t, "extend", "--base", exampleBase, "--corpus", corpus, "--add", "100", "--out", out,
		"--text", heldout, "--method", "mean", "--json", "-q")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Added    int `json:"added"`
		FirstID  int `json:"first_id"`
		Learning struct {
			TokensBefore int64 `json:"TokensBefore"`
			TokensAfter  int64 `json:"TokensAfter"`
		} `json:"learning"`
		Text extendTextReport `json:"text"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.Added != 100 || rep.FirstID != 32000 || rep.Learning.TokensAfter >= rep.Learning.TokensBefore {
		t.Errorf("report %+v", rep)
	}
	if rep.Text.Efficiency.New.Tokens >= rep.Text.Efficiency.Old.Tokens || len(rep.Text.Models) != 2 || rep.Text.Models[1].Ratio == 0 {
		t.Errorf("measurement %+v", rep.Text)
	}
	// A dry run cuts the text as the extension does, and scores nothing.
	stdout, err = runCLI(t, "extend", "--base", exampleBase, "--corpus", corpus, "--add", "100", "--dry-run",
		"--text", heldout, "--json", "-q")
	if err != nil {
		t.Fatal(err)
	}
	var dry struct {
		Text     extendTextReport `json:"text"`
		Estimate struct {
			Bytes   int64
			Seconds float64
		} `json:"time_estimate"`
	}
	if err := json.Unmarshal([]byte(stdout), &dry); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if dry.Text.Efficiency != rep.Text.Efficiency || len(dry.Text.Models) != 0 {
		t.Errorf("dry run: %+v, want the efficiency %+v alone", dry.Text, rep.Text.Efficiency)
	}
	// Its estimate counts the two passes the measurement will make over
	// the text (the methods named make none).
	if dry.Estimate.Bytes != 2*4000 || !(dry.Estimate.Seconds > 0) {
		t.Errorf("dry run's estimate %+v, want two passes over 4,000 bytes", dry.Estimate)
	}
	m, err := checkpoint.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	emb, _ := m.Embedding()
	tok, err := tokenizer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := tokenizer.Load(exampleBase)
	if emb.Shape[0] != 32100 || tok.VocabSize() != 32100 || m.Config().VocabSize() != 32100 {
		t.Errorf("rows %d, tokenizer %d ids, vocab_size %d; want 32100", emb.Shape[0], tok.VocabSize(), m.Config().VocabSize())
	}
	for id := range old.VocabSize() {
		a, _ := old.TokenString(id)
		b, _ := tok.TokenString(id)
		if a != b {
			t.Fatalf("id %d was %q, is %q", id, a, b)
		}
	}
}

func TestExtendBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "latin1.txt")
	os.WriteFile(bad, []byte("plain text\ncaf\xe9 au lait\n"), 0o644)
	small := filepath.Join(dir, "small.txt")
	os.WriteFile(small, []byte(strings.Repeat("transplanting tokenizers ", 20)), 0o644)
	// A base whose tokenizer is word-level: no family to extend.
	words := filepath.Join(dir, "words")
	os.MkdirAll(words, 0o755)
	for _, name := range []string{"config.json", "model.safetensors"} {
		data, _ := os.ReadFile(filepath.Join(exampleBase, name))
		os.WriteFile(filepath.Join(words, name), data, 0o644)
	}
	vocab := map[string]int{"[UNK]": 0}
	for i := 1; i < 32000; i++ {
		vocab[strings.Repeat("w", 1+i%7)+string(rune('a'+i%26))+strings.Repeat("x", i/182)] = i
	}
	wl, _ := json.Marshal(map[string]any{"version": "1.0", "added_tokens": []any{},
		"pre_tokenizer": map[string]any{"type": "Whitespace"},
		"model":         map[string]any{"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}})
	os.WriteFile(filepath.Join(words, "tokenizer.json"), wl, 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"corpus not UTF-8", []string{"--base", exampleBase, "--corpus", bad, "--add", "5", "--dry-run"}, "at byte 14"},
		{"a family it cannot extend", []string{"--base", words, "--corpus", small, "--add", "5", "--dry-run"}, "WordLevel"},
		{"output inside the input", []string{"--base", exampleBase, "--corpus", small, "--add", "5", "--out", filepath.Join(exampleBase, "x")}, "inside"},
		{"no count", []string{"--base", exampleBase, "--corpus", small, "--add", "0", "--dry-run"}, "--add"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCLI(t, append([]string{"extend"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	// More tokens asked than the corpus has candidates: a warning, and
	// what was found is added.
	var stderr strings.Builder
	cmd := newRootCmd()
	cmd.SetArgs([]string{"extend", "--base", exampleBase, "--corpus", small, "--add", "500", "--dry-run", "--json"})
	var stdout strings.Builder
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var rep struct{ Added, Wanted int }
	json.Unmarshal([]byte(stdout.String()), &rep)
	// No --calibration-text: a note says what that costs.
	if rep.Added == 0 || rep.Added >= 500 || !strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), uncalibratedNote) {
		t.Errorf("added %d of %d; stderr %q", rep.Added, rep.Wanted, stderr.String())
	}
}

// A calibrated extension fits again the head rows of the shared tokens its
// new tokens begin or go on with: such rows move, those of second pieces
// alone among them, and every other shared row stays the base's. Its new
// rows are fitted where their first piece stands alone too.
func TestExtendCalibratesSharedRows(t *testing.T) {
	dir, corpus, _ := exampleCorpus(t)
	out := filepath.Join(dir, "out")
	if _, err := runCLI(t, "extend", "--base", exampleBase, "--corpus", corpus, "--add", "100", "--out", out,
		"--method", "mean", "--calibrate-head", "--calibration-text", corpus, "-q"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "transplant.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Calibration struct {
			Shared             int
			FirstPieceContexts int `json:"first_piece_contexts"`
			Context            int
		} `json:"calibration"`
		Tables []struct {
			Counts map[string]int `json:"counts"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Calibration.Shared == 0 || rep.Calibration.FirstPieceContexts == 0 {
		t.Fatalf("calibration %+v (%v): no shared row fitted, or no new row where its first piece stands alone", rep.Calibration, err)
	}
	first, second := map[int]bool{}, map[int]bool{}
	var learned struct {
		Tokens []struct{ Pieces []int } `json:"tokens"`
	}
	stdout, err := runCLI(t, "extend", "--base", exampleBase, "--corpus", corpus, "--add", "100", "--dry-run", "--json", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(stdout), &learned); err != nil {
		t.Fatal(err)
	}
	copies := 0 // new tokens of one old piece ("\n" for <0x0A>) copy its rows
	for _, tk := range learned.Tokens {
		first[tk.Pieces[0]] = true
		if len(tk.Pieces) > 1 {
			second[tk.Pieces[1]] = true
		} else {
			copies++
		}
	}
	if n := rep.Tables[1].Counts["copied, calibrated"]; n != rep.Calibration.Shared || rep.Tables[1].Counts["copied"]+n != 32000+copies {
		t.Errorf("head counts %v, %d shared rows fitted, %d new tokens of one piece", rep.Tables[1].Counts, rep.Calibration.Shared, copies)
	}
	// The corpus's most frequent new tokens take their input rows from the
	// base's first layer.
	if n := rep.Tables[0].Counts["context"]; n == 0 || n != rep.Calibration.Context || n+rep.Tables[0].Counts["mean"] != 100-copies {
		t.Errorf("input counts %v, %d context rows reported, %d new tokens of one piece", rep.Tables[0].Counts, rep.Calibration.Context, copies)
	}
	oldRow, rows := headRows(t, exampleBase)
	newRow, _ := headRows(t, out)
	moved, onlyGoingOn := 0, 0
	for id := range rows {
		if oldRow(id) == newRow(id) {
			continue
		}
		if !first[id] && !second[id] {
			t.Fatalf("old id %d neither begins a new token nor is its second piece, yet its head row changed", id)
		}
		moved++
		if !first[id] {
			onlyGoingOn++
		}
	}
	// A correction smaller than half a BF16 step leaves its row as it was.
	if moved == 0 || onlyGoingOn == 0 || moved > rep.Calibration.Shared {
		t.Errorf("%d head rows moved (%d of second pieces alone), the report says %d were fitted", moved, onlyGoingOn, rep.Calibration.Shared)
	}
}

// A calibrated recipe onto an extended tokenizer refits the shared rows
// at apply as the run did: applied to its own base it writes the same
// model, byte for byte.
func TestExtendedRecipeRecalibrates(t *testing.T) {
	dir, corpus, _ := exampleCorpus(t)
	ext := filepath.Join(dir, "ext")
	if _, err := runCLI(t, "extend", "--base", exampleBase, "--corpus", corpus, "--add", "100", "--method", "mean", "--out", ext, "-q"); err != nil {
		t.Fatal(err)
	}
	recipe, direct, applied := filepath.Join(dir, "r.recipe"), filepath.Join(dir, "direct"), filepath.Join(dir, "applied")
	if _, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", ext, "--method", "mean", "--calibrate-head",
		"--calibration-text", corpus, "--save-recipe", recipe, "--out", direct, "-q"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "apply", "--recipe", recipe, "--base", exampleBase, "--calibration-text", corpus, "--out", applied, "-q"); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(direct, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(applied, "model.safetensors"))
	if len(a) == 0 || string(a) != string(b) {
		t.Error("apply of the recipe wrote another model than the run")
	}
	data, _ := os.ReadFile(filepath.Join(applied, "transplant.json"))
	if !strings.Contains(string(data), `"copied, calibrated"`) || !strings.Contains(string(data), `"context"`) {
		t.Error("apply fitted no shared row again, or took no input row from the base's first layer")
	}
}

// By default the example's Mistral tokenizer learns "\n" and "\n\n",
// and its "<0x0A>", which the extended tokenizer never writes, gets the
// head row of a byte token the base never writes either, not its own.
func TestExtendLineBreaks(t *testing.T) {
	old, tok, out := extendExample(t)
	lf, _ := old.ID("<0x0A>")
	nl, ok1 := tok.ID("\n")
	nn, ok2 := tok.ID("\n\n")
	if !ok1 || !ok2 || nl < old.VocabSize() || nn < old.VocabSize() {
		t.Fatalf("\"\\n\" %d %v, \"\\n\\n\" %d %v: want both learned", nl, ok1, nn, ok2)
	}
	if ids := tok.Encode("one\ntwo\n\nthree", false); slices.Contains(ids, lf) || !slices.Contains(ids, nn) {
		t.Errorf("a line break still encodes as <0x0A>: %v", ids)
	}
	oldRow, _ := headRows(t, exampleBase)
	newRow, _ := headRows(t, out)
	if newRow(lf) == oldRow(lf) {
		t.Fatal("<0x0A> keeps the base's head row")
	}
	if newRow(nl) != oldRow(lf) {
		t.Error("\"\\n\" does not have the base's head row of <0x0A>")
	}
	silent := false
	for c := range byte(0x80) {
		id, isByte := old.ID(fmt.Sprintf("<0x%02X>", c))
		if _, emitted := old.ID(string([]byte{c})); isByte && emitted && newRow(lf) == oldRow(id) {
			silent = true
		}
	}
	if !silent {
		t.Error("<0x0A>'s head row is not that of a byte token the base never writes")
	}
}

// extendExample extends the example base by 50 tokens with mean rows and
// flags, and returns the base's tokenizer, the extended one and its
// directory.
func extendExample(t *testing.T, flags ...string) (old, ext *tokenizer.Tokenizer, out string) {
	t.Helper()
	dir, corpus, _ := exampleCorpus(t)
	out = filepath.Join(dir, "out")
	args := append([]string{"extend", "--base", exampleBase, "--corpus", corpus, "--add", "50", "--method", "mean", "--out", out, "-q"}, flags...)
	if _, err := runCLI(t, args...); err != nil {
		t.Fatal(err)
	}
	old, _ = tokenizer.Load(exampleBase)
	ext, err := tokenizer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	return old, ext, out
}

// With --line-breaks=false no new token holds a line break the base spells
// in bytes.
func TestExtendNoLineBreaks(t *testing.T) {
	old, tok, _ := extendExample(t, "--line-breaks=false")
	if tok.VocabSize() <= old.VocabSize() {
		t.Fatalf("%d ids, the base's %d: nothing learned", tok.VocabSize(), old.VocabSize())
	}
	for id := old.VocabSize(); id < tok.VocabSize(); id++ {
		if s := tok.Surface(id); bytes.ContainsAny(s.Bytes, "\n\r") {
			t.Errorf("new token %d %q holds a line break", id, s.Bytes)
		}
	}
}

// headRows reads the output head of the model in dir and returns each
// row's raw bytes by id, and the number of rows.
func headRows(t *testing.T, dir string) (row func(id int) string, rows int) {
	t.Helper()
	m, err := checkpoint.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	head, _ := m.Head()
	data, err := m.Raw(head.Name)
	if err != nil {
		t.Fatal(err)
	}
	n := head.Shape[1] * head.Dtype.Size()
	return func(id int) string { return string(data[id*n : (id+1)*n]) }, head.Shape[0]
}
