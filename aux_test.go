package transplant

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/cooc"
	"github.com/transplant-dev/transplant/heuristics"
)

// Without a donor, an aux text gives knn a table to search: tokens the
// text shows get neighbours, the others the mean; the text is an input of
// the report. A text that is not UTF-8, or that shares no token with the
// tokenizer, is refused naming the file.
func TestAuxText(t *testing.T) {
	dir := t.TempDir()
	base := tinyModel{tokenizer: "gpt2", hidden: 4}.write(t, filepath.Join(dir, "base"))
	text, err := os.ReadFile("testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	aux := filepath.Join(dir, "aux.txt")
	os.WriteFile(aux, text[:60000], 0o644)
	in := Inputs{Base: base, Tokenizer: tokenizerDir("mistral-7b-v0.1"), AuxText: aux}
	_, rep := transplantT(t, job{in: in, c: Choice{Input: heuristics.KNN{K: 4, Temperature: 0.1}}})
	c := rep.Tables[0].Counts
	if c["knn"] == 0 || c["mean"] == 0 || rep.Tables[0].Method != "knn|mean" {
		t.Errorf("table %s, counts %v: want knn for tokens with vectors, the mean for the rest", rep.Tables[0].Method, c)
	}
	found := false
	for _, f := range rep.Inputs {
		found = found || (f.Role == "aux text" && f.Path == aux && len(f.SHA256) == 64)
	}
	if !found {
		t.Errorf("inputs %+v lack the aux text", rep.Inputs)
	}

	latin1 := filepath.Join(dir, "latin1.txt")
	os.WriteFile(latin1, []byte("the cat sat\nna\xefve\n"), 0o644)
	if _, err := Open(context.Background(), Inputs{Base: base, Tokenizer: in.Tokenizer, AuxText: latin1}); !errors.Is(err, cooc.ErrNotUTF8) || !strings.Contains(err.Error(), latin1) {
		t.Errorf("aux text not UTF-8: %v", err)
	}
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("\n\n"), 0o644)
	if _, err := Open(context.Background(), Inputs{Base: base, Tokenizer: in.Tokenizer, AuxText: empty}); !errors.Is(err, cooc.ErrNoCooccurrence) {
		t.Errorf("aux text without tokens: %v", err)
	}
	donor := tinyModel{tokenizer: "mistral-7b-v0.1", hidden: 4}.write(t, filepath.Join(dir, "donor"))
	if _, err := Open(context.Background(), Inputs{Base: base, Donor: donor, AuxText: aux}); err == nil {
		t.Error("a donor and an aux text were both accepted")
	}
}
