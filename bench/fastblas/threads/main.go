// Command threads measures how the BLAS thread count
// (fastblas.SetThreads) and eval's window workers (eval.Options.Workers)
// combine: tokens per second of eval.Score on a model, for every pairing of
// 1 and GOMAXPROCS workers with 1 and GOMAXPROCS BLAS threads. Build with
// -tags openblas to measure OpenBLAS instead of the pure-Go kernel. The
// ids are random: the forward pass costs the same whatever they are.
//
//	go run ./bench/fastblas/threads -model ../shared/models/A-mistral
//	go run -tags openblas ./bench/fastblas/threads -model ../shared/models/A-mistral
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/internal/fastblas"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench/fastblas/threads: ")
	dir := flag.String("model", "", "model directory (config.json, model.safetensors)")
	windows := flag.Int("windows", 16, "windows of the model's context scored per run")
	reps := flag.Int("reps", 3, "repetitions of each setting")
	flag.Parse()
	m, err := forward.Load(*dir)
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]int, *windows*m.Context()+1)
	for i := range ids {
		ids[i] = rng.IntN(m.Config().VocabSize)
	}
	scored := make([]bool, len(ids))
	for i := range scored {
		scored[i] = i > 0
	}
	n := runtime.GOMAXPROCS(0)
	type setting struct{ workers, threads int }
	settings := []setting{{1, 1}, {1, n}, {n, 1}, {n, n}}
	rates := make([][]float64, len(settings))
	for range *reps {
		for i, s := range settings {
			fastblas.SetThreads(s.threads)
			start := time.Now()
			if _, err := eval.Score(context.Background(), m, ids, scored, eval.Options{Workers: s.workers}); err != nil {
				log.Fatal(err)
			}
			rates[i] = append(rates[i], float64(len(ids)-1)/time.Since(start).Seconds())
		}
	}
	fmt.Printf("eval.Score on %s, %d windows of %d, BLAS %s, GOMAXPROCS %d; tokens/s, best (median) of %d\n",
		*dir, *windows, m.Context(), fastblas.Name(), n, *reps)
	fmt.Printf("%8s %12s %20s\n", "workers", "BLAS threads", "tokens/s")
	for i, s := range settings {
		r := rates[i]
		slices.Sort(r)
		fmt.Printf("%8d %12d %10.0f (%7.0f)\n", s.workers, s.threads, r[len(r)-1], r[len(r)/2])
	}
}
