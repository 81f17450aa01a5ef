package eval

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/report/*.md from the current code")

// splitReport is sampleReport with the transplants' scores split against
// the baseline and the costliest new tokens of one: both transplants share
// a tokenizer, so their shares agree; one has the baseline's bits on its
// parts and tokens.
func splitReport() *Report {
	r := sampleReport()
	part := func(tokens, bytes int, bits float64) Part {
		return Part{Tokens: tokens, Bytes: bytes, Bits: bits, ByteShare: float64(bytes) / 1000, BitsPerByte: bits / float64(bytes)}
	}
	r.Models[0].Split = &Split{New: part(40, 70, 193.2), AfterNew: part(20, 30, 89.1), Shared: part(840, 900, 2493)}
	r.Models[2].Split = &Split{New: part(40, 70, 180.6), AfterNew: part(20, 30, 71.4), Shared: part(840, 900, 1843), Baseline: true}
	for _, p := range r.Models[2].Split.Parts() {
		p.BaselineBits = 0.875 * p.Bits
		p.BaselineBitsPerByte = p.BaselineBits / float64(p.Bytes)
	}
	r.Models[2].WorstNew = []TokenCost{
		{ID: 4352, Token: "Ġbegat", Occurrences: 6, Bits: 31.2, BitsPerOccurrence: 5.2, BitsPerByte: 5.2 / 6, BaselineBits: 24, BaselineBitsPerByte: 24.0 / 36},
		{ID: 91, Token: "|", Occurrences: 3, Bits: 12.5, BitsPerOccurrence: 12.5 / 3, BitsPerByte: 12.5 / 3, BaselineBits: 6, BaselineBitsPerByte: 2},
	}
	return r
}

// TestMarkdownGolden pins the Markdown of two reports. sample.md was
// written by the code before scores could be split: a report without a
// split reads as it did. split.md adds the split table and the costliest
// new tokens; go test -run TestMarkdownGolden -update rewrites both.
func TestMarkdownGolden(t *testing.T) {
	for name, r := range map[string]*Report{"sample": sampleReport(), "split": splitReport()} {
		t.Run(name, func(t *testing.T) {
			charts, err := r.Charts()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := r.WriteMarkdown(&got, charts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "report", name+".md")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o666); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("Markdown differs from %s:\n%s", path, got.Bytes())
			}
		})
	}
}

// The split table: shares in the header when the models agree, in the
// cells when they do not; the baseline, unsplit, shows its total only; a
// part without bytes has no bits per byte.
func TestSplitTable(t *testing.T) {
	r := splitReport()
	table := func() Table {
		for _, tb := range r.Tables() {
			if tb.Title == splitTitle {
				return tb
			}
		}
		t.Fatal("no split table")
		return Table{}
	}
	tb := table()
	want := "model|total|bytes in new tokens (7.0%)|bytes right after a new token (3.0%)|bytes in shared tokens (90.0%)"
	if got := strings.Join(tb.Header, "|"); got != want {
		t.Errorf("header %s, want %s", got, want)
	}
	for i, row := range []string{"mean|4.339|2.760|2.970|2.770", "A (baseline)|1.878|—|—|—", "omp|2.095|2.580|2.380|2.048"} {
		if got := strings.Join(tb.Rows[i], "|"); got != row {
			t.Errorf("row %s, want %s", got, row)
		}
	}
	r.Models[2].Split = &Split{Shared: Part{Tokens: 900, Bytes: 1000, Bits: 2095, ByteShare: 1, BitsPerByte: 2.095}}
	tb = table()
	if got := strings.Join(tb.Header[2:], "|"); got != strings.Join(partNames[:], "|") {
		t.Errorf("header %s, want no shares", got)
	}
	if got := strings.Join(tb.Rows[2], "|"); got != "omp|2.095|— (0.0%)|— (0.0%)|2.095 (100.0%)" {
		t.Errorf("row %s, want shares in the cells", got)
	}
	if got := tb.Rows[0][2]; got != "2.760 (7.0%)" {
		t.Errorf("cell %s, want its share", got)
	}
}

func TestWriteDirSplit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	if err := splitReport().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "bits-per-byte-split.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 350 {
		t.Errorf("split chart is %v: too small to read", b)
	}
}
