package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// indented writes the example's held-out text from byte lo to hi with
// every line indented by four spaces, which Phi-2's tokenizer takes as one
// token, leaving each line's first word without its space.
func indented(t *testing.T, path string, lo, hi int) string {
	t.Helper()
	full, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(full[lo:hi]), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "    " + l
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Onto Phi-2's tokenizer the words after an indentation are read without
// their space: calibration moves the head rows of such words, the report
// says so, and the model scores other indented text better than with
// --keep-space-splits.
func TestCalibrateSpaceSplits(t *testing.T) {
	dir := t.TempDir()
	text := indented(t, filepath.Join(dir, "calib.txt"), 0, 12000)
	other := indented(t, filepath.Join(dir, "other.txt"), 100000, 130000)
	type report struct {
		Calibration struct {
			SpaceSplits    int     `json:"space_splits"`
			SpaceSplitRows int     `json:"space_split_rows"`
			SpaceSplitBits float64 `json:"space_split_bits"`
		} `json:"calibration"`
	}
	calibrateWithAndWithout(t, "phi-2", text, other, "--keep-space-splits", func(keep bool, stdout string) {
		var rep report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		c := rep.Calibration
		if keep && (c.SpaceSplits != 0 || c.SpaceSplitRows != 0) || !keep && (c.SpaceSplits < 50 || c.SpaceSplitRows < 1000 || c.SpaceSplitBits >= 0) {
			t.Errorf("keep=%v: report %+v", keep, c)
		}
	})
}

// calibrateWithAndWithout moves the example base onto the test tokenizer
// named tok with the head calibrated on text, once as calibration does by
// default and once with the flag keep, hands check each run's JSON report,
// and asks that the default score other text better than keep does.
func calibrateWithAndWithout(t *testing.T, tok, text, other, keep string, check func(keep bool, stdout string)) {
	t.Helper()
	bpb := map[bool]float64{}
	for _, kept := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		args := []string{"run", "--base", exampleBase, "--tokenizer", "../../tokenizer/testdata/tokenizers/" + tok, "--method", "mean",
			"--calibrate-head", "--calibration-text", text, "--out", out, "--json", "-q"}
		if kept {
			args = append(args, keep)
		}
		stdout, err := runCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		check(kept, stdout)
		bpb[kept] = runEvalJSON(t, "eval", "--model", out, "--text", other).Models[0].BitsPerByte
	}
	t.Logf("bits per byte on other text: %.4f by default, %.4f with %s", bpb[false], bpb[true], keep)
	if bpb[false] >= bpb[true] {
		t.Errorf("bits per byte on other text: %.4f by default, %.4f with %s", bpb[false], bpb[true], keep)
	}
}
