// Command fastblas prints gonum's, our pure-Go and (in a binary built with
// -tags openblas) OpenBLAS's Sgemm side by side, in GFLOPS, on the
// products the hot paths make, on one thread and on all cores.
//
//	go run ./bench/fastblas                  # gonum and ours
//	go run -tags openblas ./bench/fastblas   # and OpenBLAS
//	bench/fastblas/run.sh                    # the OpenBLAS build, every shape
//
// The machine may be shared, so implementations take turns within each
// repetition and the table quotes the best and the median of the
// repetitions.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// An impl is one Sgemm under comparison.
type impl struct {
	name string
	blas blas.Float32
}

// impls lists gonum, ours and, in the openblas build, OpenBLAS.
func impls() []impl {
	list := []impl{{"gonum", gonum.Implementation{}}, {"ours", fastblas.PureGo()}}
	if fastblas.Name() == "openblas" {
		list = append(list, impl{"openblas", fastblas.Float32()})
	}
	return list
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench/fastblas: ")
	reps := flag.Int("reps", 5, "repetitions of each measurement")
	minTime := flag.Duration("min-time", 200*time.Millisecond, "least time one measurement runs calls for")
	large := flag.Bool("large", false, "include the large shapes (gonum takes minutes on them)")
	match := flag.String("shapes", "", "only shapes whose name matches this regexp")
	threadList := flag.String("threads", "1,"+strconv.Itoa(runtime.NumCPU()), "comma-separated thread counts")
	flag.Parse()
	re, err := regexp.Compile(*match)
	if err != nil {
		log.Fatal(err)
	}
	var counts []int
	for _, f := range strings.Split(*threadList, ",") {
		c, err := strconv.Atoi(f)
		if err != nil || c < 1 {
			log.Fatalf("bad -threads %q", *threadList)
		}
		counts = append(counts, c)
	}
	list := impls()
	fmt.Printf("Sgemm GFLOPS, best (median) of %d; %s, GOARCH=%s, %d CPUs, AVX2/FMA kernel: %v\n",
		*reps, runtime.Version(), runtime.GOARCH, runtime.NumCPU(), fastblas.Accelerated())
	header(list)
	for _, s := range shapes {
		if (s.large && !*large) || !re.MatchString(s.name) {
			continue
		}
		ops := newOperands(s)
		for _, threads := range counts {
			row(s, threads, measure(s, ops, list, threads, *reps, *minTime))
		}
	}
}

// operands holds one shape's matrices, filled with normal values.
type operands struct{ a, b, c []float32 }

func newOperands(s shape) *operands {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	return &operands{a: fill(s.m * s.k), b: fill(s.k * s.n), c: fill(s.m * s.n)}
}

// call runs s once on im, as a dense product with beta = 0.
func (o *operands) call(im blas.Float32, s shape) {
	lda, ldb := s.k, s.n
	if s.tA != blas.NoTrans {
		lda = s.m
	}
	if s.tB != blas.NoTrans {
		ldb = s.k
	}
	im.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, o.a, lda, o.b, ldb, 0, o.c, s.n)
}

// measure returns, for each impl, the GFLOPS of each repetition on
// threads threads. gonum's Sgemm follows GOMAXPROCS, ours and OpenBLAS's
// follow fastblas.SetThreads.
func measure(s shape, ops *operands, list []impl, threads, reps int, minTime time.Duration) [][]float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	fastblas.SetThreads(threads)
	defer fastblas.SetThreads(0)
	calls := make([]int, len(list))
	for i, im := range list {
		calls[i] = calibrate(func() { ops.call(im.blas, s) }, minTime)
	}
	out := make([][]float64, len(list))
	for range reps {
		for i, im := range list {
			start := time.Now()
			for range calls[i] {
				ops.call(im.blas, s)
			}
			out[i] = append(out[i], s.flops()*float64(calls[i])/time.Since(start).Seconds()/1e9)
		}
	}
	return out
}

// calibrate returns how many calls of f take at least minTime, after a
// first call that warms caches and buffer pools.
func calibrate(f func(), minTime time.Duration) int {
	start := time.Now()
	f()
	once := time.Since(start)
	return max(1, int(minTime/max(once, time.Microsecond)))
}

func header(list []impl) {
	fmt.Printf("%-16s %-2s %6s %6s %5s %3s", "shape", "op", "m", "n", "k", "thr")
	for _, im := range list {
		fmt.Printf(" %16s", im.name)
	}
	for _, im := range list {
		if im.name != "ours" {
			fmt.Printf(" %13s", "ours/"+im.name)
		}
	}
	fmt.Println()
}

// row prints one line: best (median) per impl, then our ratio to each of
// the others, best to best (median to median).
func row(s shape, threads int, g [][]float64) {
	fmt.Printf("%-16s %-2s %6d %6d %5d %3d", s.name, s.ops(), s.m, s.n, s.k, threads)
	best := make([]float64, len(g))
	med := make([]float64, len(g))
	for i, v := range g {
		slices.Sort(v)
		best[i], med[i] = v[len(v)-1], median(v)
		fmt.Printf(" %7.1f (%6.1f)", best[i], med[i])
	}
	for i := range g {
		if i != 1 {
			fmt.Printf(" %5.2f (%5.2f)", best[1]/best[i], med[1]/med[i])
		}
	}
	fmt.Println()
	os.Stdout.Sync()
}

func median(sorted []float64) float64 {
	h := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[h]
	}
	return (sorted[h-1] + sorted[h]) / 2
}
