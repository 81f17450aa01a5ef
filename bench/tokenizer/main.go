// Command tokenizer-bench times transplant's tokenizer on a text file, one
// line per input, single-threaded and with EncodeBatch on all cores. The
// run.sh beside it times the Hugging Face tokenizers library on the same
// text in the same run and prints the ratios.
//
//	go run ./bench/tokenizer -tokenizer DIR -text FILE
package main

import (
	"bufio"
	"flag"
	"fmt"
	"hash/fnv"
	"log"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/transplant-dev/transplant/tokenizer"
)

func main() {
	tokPath := flag.String("tokenizer", "", "tokenizer.json or a directory holding one")
	textPath := flag.String("text", "", "text file, one input per line")
	flag.Parse()
	if *tokPath == "" || *textPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	tk, err := tokenizer.Load(*tokPath)
	if err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(*textPath)
	if err != nil {
		log.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	mb := float64(len(data)) / 1e6

	// Warm up the per-worker caches as a long-running process would have.
	tk.EncodeBatch(lines[:min(len(lines), 2000)], false)

	start := time.Now()
	single := make([][]int, len(lines))
	for i, l := range lines {
		single[i] = tk.Encode(l, false)
	}
	t1 := time.Since(start).Seconds()

	start = time.Now()
	batch := tk.EncodeBatch(lines, false)
	tn := time.Since(start).Seconds()

	n, h := digest(single)
	if n2, h2 := digest(batch); n2 != n || h2 != h {
		log.Fatalf("EncodeBatch disagrees with Encode: %d/%x vs %d/%x tokens", n2, h2, n, h)
	}
	fmt.Printf("go single %.3f s %.2f MB/s\n", t1, mb/t1)
	fmt.Printf("go batch %.3f s %.2f MB/s threads %d\n", tn, mb/tn, runtime.GOMAXPROCS(0))
	fmt.Printf("go tokens %d digest %016x\n", n, h)
}

// digest counts the ids and hashes them, to check that both
// implementations produced the same tokens.
func digest(all [][]int) (int, uint64) {
	h := fnv.New64a()
	n := 0
	w := bufio.NewWriter(h)
	for _, ids := range all {
		for _, id := range ids {
			fmt.Fprintf(w, "%d ", id)
		}
		w.WriteByte('\n')
		n += len(ids)
	}
	w.Flush()
	return n, h.Sum64()
}
