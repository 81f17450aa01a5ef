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
	calibrateWithAndWithout(t, "gpt2", text, other, "--keep-continuations", func(keep bool, stdout string) {
		var rep report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		c := rep.Calibration
		if keep && (c.Rows != 0 || c.Bits != 0) || !keep && (c.Rows < 100 || c.Bits >= 0) {
			t.Errorf("keep=%v: report %+v", keep, c)
		}
	})
}
