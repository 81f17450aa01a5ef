package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

const (
	exampleBase = "../../testdata/example/base"
	exampleTok  = "../../testdata/example/new-tokenizer"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// The README's main command, on the bundled example.
func TestRunExample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	stdout, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "subword", "--out", out, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Alignment struct {
			Shared int            `json:"shared"`
			Kinds  map[string]int `json:"kinds"`
		} `json:"alignment"`
		Tables []struct {
			Tensor string         `json:"tensor"`
			Counts map[string]int `json:"counts"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	// Independent counts from the shared models' README.
	if rep.Alignment.Kinds["new"] != 29016 || len(rep.Tables) != 2 || rep.Tables[1].Counts["subword"] != 29016 {
		t.Errorf("report %+v", rep)
	}
	for _, f := range []string{"model.safetensors", "config.json", "tokenizer.json", "transplant.json", "generation_config.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestRunDryRunAndErrors(t *testing.T) {
	stdout, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--dry-run")
	if err != nil || !strings.Contains(stdout, "memory needed") || !strings.Contains(stdout, "29016") || strings.Contains(stdout, "calibrating") {
		t.Errorf("dry run: %v\n%s", err, stdout)
	}
	text := filepath.Join(t.TempDir(), "text.txt")
	heldout, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, heldout[:6000], 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, err = runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--calibrate-head", "--calibration-text", text, "--dry-run")
	if err != nil || !strings.Contains(stdout, "calibrating the head holds") {
		t.Errorf("dry run with calibration: %v\n%s", err, stdout)
	}
	if !strings.Contains(stdout, "forward passes: 5.9 KiB of text") {
		t.Errorf("dry run with calibration: no estimate of one pass over the text's 6,000 bytes\n%s", stdout)
	}
	// With auto a dry run scores no candidate: its plan is that of auto's
	// costliest choice, calibration included, and counts what auto's
	// forward passes read: the calibration on the first three quarters of
	// the text, 9 candidates on the last (4 inputs with auxiliary
	// vectors, 2 heads) and the calibration on all of it.
	stdout, err = runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--calibration-text", text, "--dry-run", "--json")
	var plan struct {
		Auto             bool  `json:"auto"`
		CalibrationBytes int64 `json:"calibration_bytes"`
		Forward          struct {
			Bytes int64 `json:"base_bytes"`
			FLOPs int64 `json:"base_flops_per_token"`
		} `json:"forward"`
		Tables []struct {
			OldRows int64 `json:"old_rows"`
			Cols    int64 `json:"cols"`
		}
		Base struct{ Parameters int64 }
	}
	if err != nil || json.Unmarshal([]byte(stdout), &plan) != nil || !plan.Auto || plan.CalibrationBytes == 0 {
		t.Errorf("auto's dry run: %v, plan %+v\n%s", err, plan, stdout)
	}
	// The example's head is untied: every weight but the embedding's.
	if want := 2 * (plan.Base.Parameters - plan.Tables[0].OldRows*plan.Tables[0].Cols); plan.Forward.Bytes != 4500+9*1500+6000 || plan.Forward.FLOPs != want {
		t.Errorf("auto's forward work %+v, want 24000 bytes at %d operations a token", plan.Forward, want)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "magic", "--dry-run"}, "magic"},
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "knn", "--dry-run"}, "donor"},
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "omp", "--omp-memory", "lots", "--dry-run"}, "--omp-memory"},
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--map", "<s>", "--dry-run"}, "OLD=NEW"},
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--map", "<nope>=<|endoftext|>", "--dry-run"}, "<nope>"},
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok}, "--out"},
		{[]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--out", filepath.Join(exampleBase, "x")}, "inside"},
	} {
		if _, err := runCLI(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tt.args, err, tt.want)
		}
	}
}

func TestAlignCommand(t *testing.T) {
	stdout, err := runCLI(t, "align", "--base", exampleBase, "--tokenizer", exampleTok, "--examples", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"21241", "byte alignment: +13221", "same bytes, other spelling", `"\xa1"  ← 164 "<0xA1>"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("align output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"5GB": 5e9, "500MB": 5e8, "2GiB": 2 << 30, "1024": 1024, "1.5 kb": 1500} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1MB", "ten"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

// --json and --token-report together: the report on stdout and the token
// rows in the file, which gets a new file's mode, not a temporary one's.
func TestRunJSONWithTokenReport(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	rows := filepath.Join(dir, "rows.jsonl")
	stdout, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean",
		"--out", filepath.Join(dir, "out"), "--json", "--token-report", rows, "--explain", "Ġtransplant")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Explanations []struct {
			How  string  `json:"how"`
			Mean float64 `json:"mean"`
		} `json:"explanations"`
		Outputs []struct{ Name string } `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Explanations) != 2 || rep.Explanations[0].Mean != 1 {
		t.Fatalf("report %+v (%v)", rep, err)
	}
	var names []string
	for _, o := range rep.Outputs {
		names = append(names, o.Name)
	}
	for _, want := range []string{"model.safetensors", "config.json", "tokenizer.json", "generation_config.json"} {
		if !slices.Contains(names, want) {
			t.Errorf("outputs %v lack %s", names, want)
		}
	}
	data, err := os.ReadFile(rows)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 2*29016 {
		t.Errorf("%d token rows, want one per built row of each table", n)
	}
	if st, _ := os.Stat(rows); st.Mode().Perm() != 0o644 {
		t.Errorf("token report mode %v, want 0644", st.Mode().Perm())
	}
}

// TestChecksumOutputs: transplant.json lists the outputs with their sizes,
// and with their SHA-256 under --checksum-outputs (run and apply share the
// flag).
func TestChecksumOutputs(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "mean.recipe")
	plain, summed := filepath.Join(dir, "plain"), filepath.Join(dir, "summed")
	if _, err := runCLI(t, "run", "-q", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--save-recipe", rec, "--out", plain); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "apply", "-q", "--recipe", rec, "--base", exampleBase, "--out", summed, "--checksum-outputs"); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{plain, summed} {
		var rep struct {
			Outputs []struct {
				Name   string
				Bytes  int64
				SHA256 *string
			} `json:"outputs"`
		}
		data, err := os.ReadFile(filepath.Join(out, "transplant.json"))
		if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Outputs) < 4 {
			t.Fatalf("%s: transplant.json %s (%v)", out, data, err)
		}
		for _, f := range rep.Outputs {
			data, err := os.ReadFile(filepath.Join(out, f.Name))
			if err != nil || int64(len(data)) != f.Bytes {
				t.Errorf("%s: %s listed with %d bytes, file has %d (%v)", out, f.Name, f.Bytes, len(data), err)
			}
			sum := sha256.Sum256(data)
			switch {
			case out == plain && f.SHA256 != nil:
				t.Errorf("%s: %s checksummed without --checksum-outputs", out, f.Name)
			case out == summed && (f.SHA256 == nil || *f.SHA256 != hex.EncodeToString(sum[:])):
				t.Errorf("%s: %s listed with checksum %v, file's is %x", out, f.Name, f.SHA256, sum)
			}
		}
	}
}
