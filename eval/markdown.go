package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/transplant-dev/transplant/internal/safefile"
)

// How each evaluation was measured, for readers of the Markdown report.
var sectionNotes = map[string]string{
	"Bits per byte": "Zero-shot negative log-likelihood of the text in bits over its UTF-8 bytes, " +
		"so models with different tokenizers compare fairly. The text is cut after blank lines into chunks " +
		"of at most 64 KiB, each encoded without special tokens and preceded by BOS; windows of the context " +
		"length, a stride apart, score each token once; BOS positions are never scored.",
	splitTitle: "Every scored token falls in one part: a new token is one the baseline's vocabulary lacks " +
		"(aligned as a transplant aligns them: tokens that stand for the same bytes are shared), whose rows a transplant builds; " +
		"a token right after a new token is shared but has a new token as its input; the rest are shared. " +
		"A part's bits per byte is the negative log-likelihood of its tokens in bits over the bytes those tokens stand for, " +
		"and its share (in the header, or in each cell when models differ) is those bytes over all scored tokens' bytes. " +
		"Special tokens count no bytes, and a SentencePiece tokenizer's leading space counts, so the scored tokens' bytes " +
		"can differ slightly from the text's, over which the total is taken. The baseline's tokens are all shared: it shows its total only, and under a model " +
		"the baseline's bits per byte on that model's parts: the text is cut wherever both tokenizers end a token, and the " +
		"baseline's bits between two cuts go to the model's tokens there by their bytes (exact where the two cut alike).",
	worstTableTitle: "The new tokens that cost the model the most bits over the whole text: occurrences times bits per occurrence. " +
		"Bits per byte divides by the bytes of all occurrences; the baseline's bits per byte, when shown, is what the " +
		"baseline spent on the same bytes.",
	"Tokenization efficiency": "Both tokenizers encode the text in the same chunks, without special tokens. " +
		"Byte-fallback tokens are `<0xNN>` pieces; the last row is the share of the text's bytes carried by tokens " +
		"the other vocabulary lacks: for the new tokenizer, the rows a transplant has to build.",
	"Reconstruction": "A seeded sample of ordinary tokens both vocabularies share is held out: each method builds " +
		"their rows as if they were new (pieces cut by the old tokenizer without the token, anchors without any held-out token), " +
		"and the rows are compared with the base model's true rows. Cosine: higher is better; relative L2 error " +
		"‖built − true‖ / ‖true‖: lower is better. The mean vector is the baseline.",
}

// WriteMarkdown writes the report as Markdown: one section per table, with
// a note on how it was measured and, for the charts given, an image link
// (charts are looked up by Section and linked by File).
func (r *Report) WriteMarkdown(w io.Writer, charts []Chart) error {
	var b bytes.Buffer
	b.WriteString("# Transplant evaluation\n")
	noted := map[string]bool{}
	for _, t := range r.Tables() {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Title)
		kind, _, _ := strings.Cut(t.Title, ":")
		if note := sectionNotes[kind]; note != "" && !noted[kind] {
			noted[kind] = true
			b.WriteString(note + "\n\n")
		}
		if t.Note != "" {
			b.WriteString(t.Note + "\n\n")
		}
		writeMarkdownTable(&b, t)
		for _, c := range charts {
			if c.Section == t.Title {
				fmt.Fprintf(&b, "\n![%s](%s)\n", c.Alt, c.File)
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeMarkdownTable(b *bytes.Buffer, t Table) {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + cell(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Header {
		if i == 0 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
}

// WriteDir writes the report into dir, creating it if needed: report.md,
// report.json and the charts as PNG files. Each file is written to a
// temporary name and renamed, so none is ever seen half-written.
func (r *Report) WriteDir(dir string) error {
	charts, err := r.Charts()
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md, charts); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("eval: report: %w", err)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("eval: report: %w", err)
	}
	files := []reportFile{{"report.md", md.Bytes()}, {"report.json", append(js, '\n')}}
	for _, c := range charts {
		files = append(files, reportFile{c.File, c.PNG})
	}
	for _, f := range files {
		if err := safefile.WriteFile(filepath.Join(dir, f.name), f.data); err != nil {
			return fmt.Errorf("eval: report: %w", err)
		}
	}
	return nil
}

type reportFile struct {
	name string
	data []byte
}
