// Command extend-bench learns new tokens for a tokenizer on a large text
// file and reports the time each stage took, the corpus statistics and the
// Go heap. run.sh beside it makes the text, runs it under /usr/bin/time -v
// for the peak resident memory, and prints the machine's load.
//
//	go run ./bench/extend -tokenizer DIR -corpus FILE [-add 10000] [-maxwords 0]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"time"

	"github.com/transplant-dev/transplant/extend"
)

func main() {
	tokPath := flag.String("tokenizer", "", "tokenizer.json or a directory holding one")
	corpusPath := flag.String("corpus", "", "UTF-8 text to learn on")
	add := flag.Int("add", 10000, "new tokens to learn")
	maxWords := flag.Int("maxwords", 0, "distinct words kept while counting (0: the default)")
	flag.Parse()
	if *tokPath == "" || *corpusPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	base, err := extend.Open(*tokPath)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(*corpusPath)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	start := time.Now()
	var counted time.Duration
	var lastReport time.Time
	opts := extend.Options{Add: *add, MaxWords: *maxWords, Progress: func(p extend.Progress) {
		if p.Stage == extend.Learning && counted == 0 {
			counted = time.Since(start)
		}
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(os.Stderr, "%6.1fs %s %d/%d\n", time.Since(start).Seconds(), p.Stage, p.Done, p.Total)
		}
	}}
	ext, err := extend.Learn(context.Background(), base, f, opts)
	if err != nil {
		log.Fatal(err)
	}
	total := time.Since(start)
	files, err := ext.Files()
	if err != nil {
		log.Fatal(err)
	}
	written := time.Since(start) - total

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := ext.Stats
	before, after := s.BytesPerToken()
	fmt.Printf("corpus %.1f MB, %d words, %d distinct kept (pruned at <= %d), GOMAXPROCS %d\n",
		float64(s.Bytes)/1e6, s.Words, s.DistinctWords, s.Pruned, runtime.GOMAXPROCS(0))
	fmt.Printf("learned %d of %d tokens (warning: %v)\n", len(ext.Tokens), *add, ext.Warning)
	fmt.Printf("tokens %d -> %d (%.2f%% fewer), bytes per token %.3f -> %.3f\n",
		s.TokensBefore, s.TokensAfter, 100*(1-float64(s.TokensAfter)/float64(s.TokensBefore)), before, after)
	fmt.Printf("time: counting %.1fs, learning %.1fs, total %.1fs; writing tokenizer.json (%.1f MB) %.1fs\n",
		counted.Seconds(), (total - counted).Seconds(), total.Seconds(), float64(len(files["tokenizer.json"]))/1e6, written.Seconds())
	fmt.Printf("go heap: %.0f MiB obtained from the OS, %.0f MiB in use at the end\n", float64(ms.HeapSys)/(1<<20), float64(ms.HeapInuse)/(1<<20))
}
