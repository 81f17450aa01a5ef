package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Onto GPT-2's tokenizer, which begins many words the example base reads
// whole with a token the base has ("ĠArray" "List" for "▁ArrayList"),
// calibration raises the pieces that go on from such a token, the report
// says how many, and the model scores other text better than with
// --keep-continuations.
func TestCalibrateContinuations(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	text, other := filepath.Join(dir, "calib.txt"), filepath.Join(dir, "other.txt")
	if err := os.WriteFile(text, full[:80000], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, full[100000:130000], 0o644); err != nil {
		t.Fatal(err)
	}
	type report struct {
		Calibration struct {
			Rows int     `json:"continuation_rows"`
			Bits float64 `json:"continuation_bits"`
		} `json:"calibration"`
	}
	bpb := map[bool]float64{}
	for _, keep := range []bool{false, true} {
		out := filepath.Join(dir, "out")
		if keep {
			out += "-keep"
		}
		args := []string{"run", "--base", exampleBase, "--tokenizer", "../../tokenizer/testdata/tokenizers/gpt2", "--method", "mean",
			"--calibrate-head", "--calibration-text", text, "--out", out, "--json", "-q"}
		if keep {
			args = append(args, "--keep-continuations")
		}
		stdout, err := runCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var rep report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		c := rep.Calibration
		if keep && (c.Rows != 0 || c.Bits != 0) || !keep && (c.Rows < 100 || c.Bits >= 0) {
			t.Errorf("keep=%v: report %+v", keep, c)
		}
		bpb[keep] = runEvalJSON(t, "eval", "--model", out, "--text", other).Models[0].BitsPerByte
	}
	t.Logf("bits per byte on other text: %.4f raised, %.4f kept", bpb[false], bpb[true])
	if bpb[false] >= bpb[true] {
		t.Errorf("bits per byte on other text: %.4f with the pieces raised, %.4f without", bpb[false], bpb[true])
	}
}
