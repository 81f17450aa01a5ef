package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/tokenizer"
)

// calibrationText writes the first n bytes of the example's held-out text
// into dir and returns its path.
func calibrationText(t *testing.T, dir string, n int) string {
	t.Helper()
	full, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "calib.txt")
	if err := os.WriteFile(text, full[:n], 0o644); err != nil {
		t.Fatal(err)
	}
	return text
}

// --calibrate-head fits the head rows of the new tokens the text holds and
// says so in transplant.json; bad texts get clear errors or a warning.
func TestCalibrateHead(t *testing.T) {
	dir := t.TempDir()
	text := calibrationText(t, dir, 12000)
	out := filepath.Join(dir, "out")
	stdout, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean",
		"--calibrate-head", "--calibration-text", text, "--out", out, "--json", "-q")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Calibration struct {
			Fitted, Kept, Occurrences int
			FirstPieceContexts        int `json:"first_piece_contexts"`
			Warning                   string
			Seconds                   float64
			PassSeconds               float64 `json:"pass_seconds"`
		} `json:"calibration"`
		Tables []struct {
			Counts map[string]int `json:"counts"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	c := rep.Calibration
	if c.Fitted == 0 || c.Fitted+c.Kept != 29016 || c.Occurrences == 0 || len(rep.Tables) != 2 ||
		rep.Tables[1].Counts["calibrated"] != c.Fitted || rep.Tables[1].Counts["mean"]+rep.Tables[1].Counts["mean, lowered"] != c.Kept || rep.Tables[0].Counts["calibrated"] != 0 ||
		c.FirstPieceContexts == 0 || // a swap fits its seen rows where their first pieces stand alone too
		!(c.PassSeconds > 0 && c.PassSeconds < c.Seconds) {
		t.Errorf("report %+v", rep)
	}

	bad := filepath.Join(dir, "latin1.txt")
	if err := os.WriteFile(bad, []byte("caf\xe9 au lait\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(dir, "none.txt")
	if err := os.WriteFile(none, []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--calibrate-head"}, "--calibration-text"},
		{[]string{"--calibrate-head", "--calibration-text", bad}, "offset 3"},
		{[]string{"--calibrate-head", "--calibration-text", filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{"--calibrate-to-donor", "--calibration-text", text}, "donor"},
		{[]string{"--method", "auto", "--calibrate-head"}, "--calibration-text"},
	} {
		args := append([]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--out", filepath.Join(dir, "x"), "-q"}, tt.args...)
		if _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tt.args, err, tt.want)
		}
	}
	// A recipe of the run calibrates each base it is applied to on the
	// same text, which apply then needs.
	rec := filepath.Join(dir, "cal.recipe")
	if _, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean",
		"--calibrate-head", "--calibration-text", text, "--save-recipe", rec, "-q"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "apply", "--recipe", rec, "--base", exampleBase, "--out", filepath.Join(dir, "a1"), "-q"); err == nil || !strings.Contains(err.Error(), "--calibration-text") {
		t.Errorf("apply without the text: %v", err)
	}
	applied := filepath.Join(dir, "a2")
	if _, err := runCLI(t, "apply", "--recipe", rec, "--base", exampleBase, "--out", applied, "--calibration-text", text, "-q"); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(out, "model.safetensors"))
	y, _ := os.ReadFile(filepath.Join(applied, "model.safetensors"))
	if len(x) == 0 || string(x) != string(y) {
		t.Error("apply with the text writes other weights than the calibrated run")
	}
	// A text without new tokens: a warning, and every row keeps its prior.
	cmd := newRootCmd()
	var errOut strings.Builder
	cmd.SetErr(&errOut)
	cmd.SetOut(&strings.Builder{})
	cmd.SetArgs([]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean",
		"--calibrate-head", "--calibration-text", none, "--out", filepath.Join(dir, "none")})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "warning: the calibration text none.txt holds only 0 of the 29016 new tokens") {
		t.Errorf("no warning: %s", errOut.String())
	}
}

// --calibrate-to-donor fits every new head row, reading the text with the
// donor too; a recipe cannot hold such a head.
func TestCalibrateToDonor(t *testing.T) {
	dir := t.TempDir()
	text := calibrationText(t, dir, 6000)
	donor := filepath.Join(dir, "donor") // the base on the new tokenizer
	if _, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--out", donor, "-q"); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--base", exampleBase, "--donor", donor, "--method", "mean", "--calibrate-to-donor", "--calibration-text", text, "-q"}
	stdout, err := runCLI(t, append(args, "--out", filepath.Join(dir, "out"), "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Calibration struct {
			Fitted, Kept  int
			DonorContexts int `json:"donor_contexts"`
		} `json:"calibration"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if c := rep.Calibration; c.Fitted != 29016 || c.Kept != 0 || c.DonorContexts == 0 {
		t.Errorf("report %+v", c)
	}
	// Asked for by name, auto calibrates to the donor too; without one it
	// cannot.
	if _, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--calibrate-to-donor", "--calibration-text", text,
		"--out", filepath.Join(dir, "auto"), "-q"); err == nil || !strings.Contains(err.Error(), "--donor") {
		t.Errorf("auto with --calibrate-to-donor and no donor: %v", err)
	}
	if _, err := runCLI(t, append(args, "--save-recipe", filepath.Join(dir, "r.recipe"))...); err == nil || !strings.Contains(err.Error(), "recipe") {
		t.Errorf("--save-recipe: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.recipe")); !os.IsNotExist(err) {
		t.Errorf("a refused recipe left a file: %v", err)
	}
}

// Calibration fits shared rows again by default, with auto too, and
// --keep-shared-rows keeps them.
func TestKeepSharedRows(t *testing.T) {
	dir := t.TempDir()
	text := calibrationText(t, dir, 12000)
	for _, tc := range []struct {
		args   []string
		shared bool
	}{
		{[]string{"--method", "mean", "--calibrate-head"}, true},
		{[]string{"--method", "mean", "--calibrate-head", "--keep-shared-rows"}, false},
		{[]string{"--calibrate-head"}, true}, // auto
		{[]string{"--calibrate-head", "--keep-shared-rows"}, false},
	} {
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"run", "--base", exampleBase, "--tokenizer", exampleTok, "--calibration-text", text, "--out", out, "--json", "-q"}, tc.args...)
		stdout, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		var rep struct {
			Calibration struct{ Shared int } `json:"calibration"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if got := rep.Calibration.Shared > 0; got != tc.shared {
			t.Errorf("%v: %d shared rows fitted", tc.args, rep.Calibration.Shared)
		}
	}
}

// Calibration fits the head rows of shared tokens the text mostly puts
// where the base's tokenizer cuts otherwise (the lone spaces of an
// indentation here) to the base's projection, and with a donor, as each
// new row, half to the base and half to the donor: the lone space's row is
// then the mean of its rows with --calibrate-to-donor and with
// --calibrate-to-base, which needs no pass of the donor.
// --keep-recut-rows keeps them; a run that saves a recipe fits to the base
// alone, so that the recipe applies to the same base as it ran.
func TestRecutRows(t *testing.T) {
	dir := t.TempDir()
	text := calibrationText(t, dir, 6000)
	prose, err := os.ReadFile(text)
	if err != nil {
		t.Fatal(err)
	}
	code := strings.Repeat("def f(x):\n    if x:\n        return x\n    return 0\n\n", 12)
	if err := os.WriteFile(text, append(prose, code...), 0o644); err != nil {
		t.Fatal(err)
	}
	donor := filepath.Join(dir, "donor")
	if _, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--out", donor, "-q"); err != nil {
		t.Fatal(err)
	}
	// Without a donor the recut rows are fitted to the base, which an
	// apply has too: a recipe keeps them fitted.
	withDonor, alone := []string{"--donor", donor}, []string{"--tokenizer", exampleTok}
	rec, aloneRec := filepath.Join(dir, "r.recipe"), filepath.Join(dir, "alone.recipe")
	for _, tc := range []struct {
		name   string
		args   []string
		recut  bool
		weight float64
		donor  bool // the donor reads the text
	}{
		{"default", withDonor, true, 0.5, true},
		{"keep", append(withDonor, "--keep-recut-rows"), false, 0.5, true},
		{"base", append(withDonor, "--calibrate-to-base"), true, 0, false},
		{"to-donor", append(withDonor, "--calibrate-to-donor"), true, 1, true},
		{"recipe", append(withDonor, "--save-recipe", rec), true, 0, false},
		{"alone", alone, true, 0, false},
		{"alone-keep", append(alone, "--keep-recut-rows"), false, 0, false},
		{"alone-recipe", append(alone, "--save-recipe", aloneRec), true, 0, false},
	} {
		out := filepath.Join(dir, tc.name)
		// Each run raises the pieces after a word's first piece on its own
		// head (the lone space among them), which the blend of the fits
		// does not carry: --keep-continuations leaves the fits as they are.
		args := append([]string{"run", "--base", exampleBase, "--method", "mean", "--calibrate-head",
			"--calibration-text", text, "--out", out, "--json", "-q", "--keep-continuations"}, tc.args...)
		stdout, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var rep struct {
			Calibration struct {
				Recut  int
				Weight float64 `json:"donor_weight"`
				Donor  int     `json:"donor_contexts"`
			} `json:"calibration"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		c := rep.Calibration
		if got := c.Recut > 0; got != tc.recut || c.Weight != tc.weight || (c.Donor > 0) != tc.donor {
			t.Errorf("%s: %d recut rows fitted, donor weight %g, %d donor contexts", tc.name, c.Recut, c.Weight, c.Donor)
		}
	}
	checkBlend(t, filepath.Join(dir, "default"), filepath.Join(dir, "to-donor"), filepath.Join(dir, "base"))
	checkApplied(t, rec, text, filepath.Join(dir, "recipe"))
	checkApplied(t, aloneRec, text, filepath.Join(dir, "alone-recipe"))
}

// checkBlend checks that the lone space's head row in model blend is the
// mean of its rows in the models donor and base, to the BF16 they are
// written in.
func checkBlend(t *testing.T, blend, donor, base string) {
	t.Helper()
	tok, err := tokenizer.Load(filepath.Join(exampleTok, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	space, _ := tok.ID("Ġ")
	var rows [3][]float32
	for i, dir := range []string{blend, donor, base} {
		m, err := checkpoint.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		head, shape, err := m.Float32("lm_head.weight")
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		rows[i] = head[space*shape[1] : (space+1)*shape[1]]
	}
	var off, apart, size float64 // squared norms
	for j, v := range rows[0] {
		mean := (float64(rows[1][j]) + float64(rows[2][j])) / 2
		off += (float64(v) - mean) * (float64(v) - mean)
		apart += (float64(rows[1][j]) - float64(rows[2][j])) * (float64(rows[1][j]) - float64(rows[2][j]))
		size += mean * mean
	}
	if apart < 0.01*size {
		t.Fatalf("the donor's and the base's fits of the lone space are too close to tell a blend (%g of %g)", apart, size)
	}
	if off > 1e-4*size {
		t.Errorf("the lone space's row is %.3g from the mean of the donor's and the base's fits (they are %.3g apart, squared, of %.3g)", off, apart, size)
	}
}

// checkApplied applies the recipe rec to the example base, calibrating
// on text, and checks that it writes the weights of the run in dir.
func checkApplied(t *testing.T, rec, text, dir string) {
	t.Helper()
	applied := filepath.Join(t.TempDir(), "applied")
	if _, err := runCLI(t, "apply", "--recipe", rec, "--base", exampleBase, "--out", applied, "--calibration-text", text, "-q"); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	y, _ := os.ReadFile(filepath.Join(applied, "model.safetensors"))
	if len(x) == 0 || string(x) != string(y) {
		t.Errorf("the recipe %s applied to its own base writes other weights than the run", filepath.Base(rec))
	}
}

// Onto a tokenizer with many more tokens than the calibration text shows
// (Qwen 3's, 151,669 ids), the head rows of those it lacks are lowered
// together: the report says by how much and from what share to what, and
// the result scores better on text other than the calibration text than
// with --keep-unseen-rows.
func TestCalibrateLowersUnseenRows(t *testing.T) {
	dir := t.TempDir()
	text := calibrationText(t, dir, 12000)
	full, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.txt")
	if err := os.WriteFile(other, full[100000:130000], 0o644); err != nil {
		t.Fatal(err)
	}
	type calibration struct {
		Kept   int `json:"kept"`
		Unseen []struct {
			Rows                int
			Mass, Target, Shift float64
		} `json:"unseen"`
	}
	bpb := map[string]float64{}
	for _, keep := range []bool{false, true} {
		name := fmt.Sprintf("keep=%v", keep)
		out := filepath.Join(dir, name)
		args := []string{"run", "--base", exampleBase, "--tokenizer", "../../tokenizer/testdata/tokenizers/qwen3", "--method", "mean",
			"--calibrate-head", "--calibration-text", text, "--out", out, "--json", "-q"}
		if keep {
			args = append(args, "--keep-unseen-rows")
		}
		stdout, err := runCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Calibration calibration `json:"calibration"`
			Tables      []struct {
				Counts map[string]int `json:"counts"`
			} `json:"tables"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		c, lowered := rep.Calibration, 0
		for _, g := range c.Unseen {
			if g.Shift < 0 {
				lowered += g.Rows
			}
			if (g.Shift < 0) != (g.Mass > g.Target) || g.Target <= 0 {
				t.Errorf("%s: group %+v", name, g)
			}
		}
		if c.Kept < 100000 || keep != (len(c.Unseen) == 0) || !keep && lowered == 0 {
			t.Errorf("%s: report %+v", name, c)
		}
		if head := rep.Tables[1].Counts; head["mean, lowered"] != lowered || head["mean"] != c.Kept-lowered {
			t.Errorf("%s: head's counts %v, %d kept, %d lowered", name, head, c.Kept, lowered)
		}
		bpb[name] = runEvalJSON(t, "eval", "--model", out, "--text", other).Models[0].BitsPerByte
	}
	if bpb["keep=false"] >= bpb["keep=true"] {
		t.Errorf("bits per byte on other text: lowered %.4f, kept %.4f", bpb["keep=false"], bpb["keep=true"])
	}
}
