// Command recut marks, for each line of a text, which tokens of the new
// tokenizer the base tokenizer would also have cut there: a token is
// marked 1 when the base cuts the line so that a token of its own spans
// exactly the same bytes, else 0 (tokenizer.Recut). It prints one line of
// marks per line of the text, token for token as `transplant tokenize`
// prints the new tokenizer's ids, for bench/quality/shared_loss.py --recut.
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

// marks is the line's marks, space-separated (all 1 when the two cuts do
// not spell the same bytes, see tokenizer.Recut).
func marks(base, fresh *tokenizer.Tokenizer, line string) string {
	ids := fresh.Encode(line, false)
	recut := tokenizer.Recut(base, fresh, []byte(line), ids)
	out := make([]string, len(ids))
	for k := range ids {
		out[k] = "1"
		if recut != nil && recut[k] {
			out[k] = "0"
		}
	}
	return strings.Join(out, " ")
}
