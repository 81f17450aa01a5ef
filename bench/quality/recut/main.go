// Command recut marks, for each line of a text, which tokens of the new
// tokenizer the base tokenizer would also have cut there: a token is
// marked 1 when the base cuts the line so that a token of its own spans
// exactly the same bytes, else 0. It prints one line of marks per line of
// the text, token for token as `transplant tokenize` prints the new
// tokenizer's ids, for bench/quality/shared_loss.py --recut.
//
// A token shared by the two vocabularies can stand where the base would
// never put it: GPT-2 spells an indentation as a run of single spaces
// where Mistral's tokenizer has tokens for space runs, and the base model
// has rarely been asked to predict a lone space. The base cuts each line
// with tokenizer.EncodeSurface (no prefix space), so a line's first token
// may be marked 0 where the base's own encoding would add one.
//
//	go run ./bench/quality/recut BASE-TOKENIZER NEW-TOKENIZER TEXT > MARKS
package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/transplant-dev/transplant/tokenizer"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: recut BASE-TOKENIZER NEW-TOKENIZER TEXT")
	}
	base, err := tokenizer.Load(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	fresh, err := tokenizer.Load(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(os.Args[3])
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		fmt.Fprintln(w, marks(base, fresh, line))
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}

// marks is the line's marks, space-separated.
func marks(base, fresh *tokenizer.Tokenizer, line string) string {
	same := map[[2]int]bool{}
	for _, s := range spans(base, base.EncodeSurface([]byte(line))) {
		same[s] = true
	}
	var out []string
	for _, s := range spans(fresh, fresh.Encode(line, false)) {
		mark := "0"
		if same[s] {
			mark = "1"
		}
		out = append(out, mark)
	}
	return strings.Join(out, " ")
}

// spans is the byte range of each token of ids in the text they encode.
func spans(tok *tokenizer.Tokenizer, ids []int) [][2]int {
	out := make([][2]int, len(ids))
	off := 0
	for i, id := range ids {
		n := len(tok.Surface(id).Bytes)
		out[i] = [2]int{off, off + n}
		off += n
	}
	return out
}
