// Command omp benchmarks omp.Solve against the full-correlation baseline
// (mergekit's algorithm, omp.SolveFullCorrelation) on a seeded,
// embedding-like problem, and prints the side-by-side table that run.sh
// assembles from both BLAS builds and scikit-learn.
//
//	go run [-tags openblas] ./bench/omp -problem medium -data DIR -out result.json
//	go run ./bench/omp -report pure.json openblas.json sklearn.json
//
// The problem is generated into DIR on first use, so that every build and
// scikit-learn see the same data.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/internal/fastblas"
	"github.com/transplant-dev/transplant/omp"
)

type result struct {
	Problem   problem   `json:"problem"`
	BLAS      string    `json:"blas"`
	Ours      timing    `json:"ours"`
	Stats     omp.Stats `json:"stats"`
	Baseline  timing    `json:"baseline"`
	Agreement agreement `json:"agreement"`
	// Supports holds Solve's choices for the first targets, for the
	// scikit-learn comparison.
	Supports [][]int32 `json:"supports"`
}

// A timing is a run on the first Targets targets of the problem.
type timing struct {
	Targets int     `json:"targets"`
	Seconds float64 `json:"seconds"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench/omp: ")
	name := flag.String("problem", "medium", "small, medium or large")
	dir := flag.String("data", "", "problem directory, generated if missing (default /tmp/omp-bench/PROBLEM)")
	oursN := flag.Int("ours", 0, "targets Solve runs on (0: all)")
	baseN := flag.Int("baseline", 512, "targets the full-correlation baseline runs on; its time is extrapolated")
	keep := flag.Int("keep", 64, "targets whose supports go into the result, for the scikit-learn comparison")
	maxMem := flag.Int64("max-memory", 8<<30, "omp.Options.MaxMemory in bytes")
	out := flag.String("out", "", "write the result as JSON to this file")
	solFile := flag.String("solution", "", "write Solve's supports and coefficients to this file, to compare versions and builds byte for byte")
	report := flag.Bool("report", false, "print the comparison of the result files given as arguments")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *report {
		if err := printReport(flag.Args()); err != nil {
			log.Fatal(err)
		}
		return
	}
	p, ok := problems[*name]
	if !ok {
		log.Fatalf("unknown problem %q", *name)
	}
	if *dir == "" {
		*dir = filepath.Join(os.TempDir(), "omp-bench", p.Name)
	}
	res, sol, err := run(p, *dir, *oursN, *baseN, *keep, *maxMem)
	if err != nil {
		log.Fatal(err)
	}
	if *solFile != "" {
		if err := writeSolution(*solFile, sol); err != nil {
			log.Fatal(err)
		}
	}
	b, _ := json.MarshalIndent(res, "", " ")
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("%s: Solve %d targets %.1fs (%+v); baseline %d targets %.1fs; agreement %+v\n",
		res.BLAS, res.Ours.Targets, res.Ours.Seconds, res.Stats, res.Baseline.Targets, res.Baseline.Seconds, res.Agreement)
}

func run(p problem, dir string, oursN, baseN, keep int, maxMem int64) (*result, *omp.Solution, error) {
	if _, err := os.Stat(filepath.Join(dir, "problem.json")); err != nil {
		stored := p.Targets
		if p.Name == "large" {
			stored = max(oursN, baseN)
		}
		log.Printf("generating %s into %s", p.Name, dir)
		if err := generate(dir, p, stored); err != nil {
			return nil, nil, err
		}
	}
	p, dict, targets, err := load(dir)
	if err != nil {
		return nil, nil, err
	}
	if oursN == 0 || oursN > targets.Rows {
		oursN = targets.Rows
	}
	baseN = min(baseN, targets.Rows)
	res := &result{Problem: p, BLAS: fastblas.Name()}
	opts := omp.Options{K: p.K, MaxMemory: maxMem}
	ctx := context.Background()

	start := time.Now()
	sol, err := omp.Solve(ctx, dict, rowsOf(targets, oursN), opts)
	if err != nil {
		return nil, nil, err
	}
	res.Ours = timing{oursN, time.Since(start).Seconds()}
	res.Stats = sol.Stats
	log.Printf("%s: Solve: %d targets in %.1fs", res.BLAS, oursN, res.Ours.Seconds)

	start = time.Now()
	base, err := omp.SolveFullCorrelation(ctx, dict, rowsOf(targets, baseN), opts)
	if err != nil {
		return nil, nil, err
	}
	res.Baseline = timing{baseN, time.Since(start).Seconds()}
	log.Printf("%s: baseline: %d targets in %.1fs", res.BLAS, baseN, res.Baseline.Seconds)

	var ours, theirs [][]int32
	for i := range min(baseN, oursN) {
		ours = append(ours, sol.Support(i))
		theirs = append(theirs, base.Support(i))
	}
	res.Agreement = compare(dict, targets, ours, theirs)
	for i := range min(keep, oursN) {
		res.Supports = append(res.Supports, slices.Clone(sol.Support(i)))
	}
	return res, sol, nil
}

func rowsOf(m blas32.General, n int) blas32.General {
	m.Rows = n
	m.Data = m.Data[:n*m.Stride]
	return m
}

// writeSolution writes every target's support and coefficients, one text
// line per target with the coefficients' exact bits, so that two versions
// or builds of Solve can be compared with cmp or diff.
func writeSolution(path string, sol *omp.Solution) error {
	var b []byte
	for i := range sol.Len() {
		b = fmt.Appendf(b, "%d %v:", i, sol.Stop(i))
		for j, a := range sol.Support(i) {
			b = fmt.Appendf(b, " %d %x", a, math.Float64bits(sol.Coef(i)[j]))
		}
		b = append(b, '\n')
	}
	return os.WriteFile(path, b, 0o644)
}
