// Command forward measures the throughput of eval/forward on the shared
// models: it scores the first windows of heldout.txt (reference token ids
// from eval/testdata/heldout) and prints one JSON line per run. run.sh runs
// it in both builds next to the PyTorch reference and prints the comparison.
//
//	go run ./bench/forward -model ../shared/models/A-mistral -ids eval/testdata/heldout/A-mistral.json.gz -workers 1
package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/internal/fastblas"
)

func main() {
	model := flag.String("model", "", "model directory (config.json, model.safetensors)")
	idsPath := flag.String("ids", "", "reference ids, as scripts/golden/forward/heldout_ids.js writes them")
	workers := flag.Int("workers", 1, "windows scored at once (0: GOMAXPROCS)")
	windows := flag.Int("windows", 0, "score only this many windows (0: all)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if err := run(*model, *idsPath, *workers, *windows, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "forward bench:", err)
		os.Exit(1)
	}
}

func run(dir, idsPath string, workers, windows int, cpuprofile string) error {
	m, err := forward.Load(dir)
	if err != nil {
		return err
	}
	chunks, err := readIDs(idsPath)
	if err != nil {
		return err
	}
	ids, scored := eval.Stream(chunks, m.Config().BOS)
	if n := windows*m.Context() + 1; windows > 0 && n < len(ids) {
		ids, scored = ids[:n], scored[:n]
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	res, err := eval.Score(context.Background(), m, ids, scored, eval.Options{Workers: workers})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	inputs := len(ids) - 1 // every position but the last is a window input
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"impl": "go-" + fastblas.Name(), "gomaxprocs": runtime.GOMAXPROCS(0), "workers": workers,
		"windows": res.Windows, "tokens": inputs, "scored": res.Tokens, "seconds": secs,
		"tokens_per_second": float64(inputs) / secs, "nll": res.NLL,
	})
}

func readIDs(path string) ([][]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var doc struct {
		IDs [][]int `json:"ids"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.IDs, nil
}
