package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant/tokenizer"
)

type tokenizeOptions struct {
	tokenizer   string
	textFile    string
	tokens      bool
	asJSON      bool
	addSpecial  bool
	decode      bool
	skipSpecial bool
}

func newTokenizeCmd() *cobra.Command {
	var o tokenizeOptions
	cmd := &cobra.Command{
		Use:   "tokenize --tokenizer FILE",
		Short: "Encode text to token ids, or decode ids, with a tokenizer.json",
		Long: `Tokenize reads text from standard input (or --text FILE) and prints, for each
input line, one output line: the token ids (default), the tokens (--tokens,
each one quoted), or a JSON object with both (--json). Encoding matches the
Hugging Face tokenizers library id for id. --add-special-tokens adds what the
tokenizer's post-processor adds (BOS, CLS/SEP, ...).

With --decode each input line holds ids (separated by spaces or commas, or a
JSON array) and the decoded text is printed; --json prints it as a JSON string,
which keeps newlines inside the text on one line.

--tokenizer takes a tokenizer.json, a tokenizer.json.gz or a directory holding
one.`,
		Example: `  echo "Hello, world!" | transplant tokenize --tokenizer ./gpt2
  transplant tokenize --tokenizer tok.json --tokens --text notes.txt
  echo "15496 11 995" | transplant tokenize --tokenizer ./gpt2 --decode`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTokenize(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tokenizer, "tokenizer", "", "tokenizer.json, tokenizer.json.gz or a directory holding one (required)")
	f.StringVar(&o.textFile, "text", "", "read input lines from this file instead of standard input")
	f.BoolVar(&o.tokens, "tokens", false, "print tokens instead of ids")
	f.BoolVar(&o.asJSON, "json", false, `print one JSON object per line: {"ids": [...], "tokens": [...]}`)
	f.BoolVar(&o.addSpecial, "add-special-tokens", false, "add the post-processor's special tokens")
	f.BoolVar(&o.decode, "decode", false, "read ids and print the decoded text")
	f.BoolVar(&o.skipSpecial, "skip-special-tokens", false, "with --decode, leave special tokens out")
	_ = cmd.MarkFlagRequired("tokenizer")
	return cmd
}

func runTokenize(cmd *cobra.Command, o tokenizeOptions) error {
	tk, err := tokenizer.Load(o.tokenizer)
	if err != nil {
		return err
	}
	in := cmd.InOrStdin()
	name := "standard input"
	if o.textFile != "" {
		f, err := os.Open(o.textFile)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, o.textFile
	}
	w := bufio.NewWriter(cmd.OutOrStdout())
	defer w.Flush()
	r := bufio.NewReaderSize(in, 1<<16)
	const batch = 1024 // lines encoded together, on all cores
	lineNo := 0
	for {
		lines, err := readLines(r, batch)
		if err != nil {
			return fmt.Errorf("tokenize: %s: %w", name, err)
		}
		if len(lines) == 0 {
			return w.Flush()
		}
		if o.decode {
			for _, l := range lines {
				lineNo++
				ids, err := parseIDs(l)
				if err != nil {
					return fmt.Errorf("tokenize: %s: line %d: %w", name, lineNo, err)
				}
				if err := printDecoded(w, tk.Decode(ids, o.skipSpecial), o.asJSON); err != nil {
					return err
				}
			}
			continue
		}
		for _, ids := range tk.EncodeBatch(lines, o.addSpecial) {
			if err := printEncoded(w, tk, ids, o); err != nil {
				return err
			}
		}
	}
}

// readLines reads up to n lines, without their "\n".
func readLines(r *bufio.Reader, n int) ([]string, error) {
	var lines []string
	for len(lines) < n {
		l, err := r.ReadString('\n')
		if len(l) > 0 {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return lines, nil
}

func parseIDs(line string) ([]int, error) {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "[") {
		var ids []int
		if err := json.Unmarshal([]byte(line), &ids); err != nil {
			return nil, fmt.Errorf("not a JSON array of ids: %v", err)
		}
		return ids, nil
	}
	fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	ids := make([]int, len(fields))
	for i, f := range fields {
		id, err := strconv.Atoi(f)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("%q is not a token id", f)
		}
		ids[i] = id
	}
	return ids, nil
}

func tokenStrings(tk *tokenizer.Tokenizer, ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i], _ = tk.TokenString(id)
	}
	return out
}

func printEncoded(w io.Writer, tk *tokenizer.Tokenizer, ids []int, o tokenizeOptions) error {
	var err error
	switch {
	case o.asJSON:
		err = encodeJSON(w, struct {
			IDs    []int    `json:"ids"`
			Tokens []string `json:"tokens"`
		}{ids, tokenStrings(tk, ids)})
	case o.tokens:
		toks := tokenStrings(tk, ids)
		for i, t := range toks {
			toks[i] = strconv.Quote(t)
		}
		_, err = fmt.Fprintln(w, strings.Join(toks, " "))
	default:
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = strconv.Itoa(id)
		}
		_, err = fmt.Fprintln(w, strings.Join(parts, " "))
	}
	return err
}

func printDecoded(w io.Writer, text string, asJSON bool) error {
	if asJSON {
		return encodeJSON(w, text)
	}
	_, err := fmt.Fprintln(w, text)
	return err
}

// encodeJSON writes v as one line of JSON, leaving <, > and & as they are
// (tokens like "<s>" stay readable).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
