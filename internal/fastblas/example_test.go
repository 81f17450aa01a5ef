package fastblas_test

import (
	"fmt"

	"gonum.org/v1/gonum/blas"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// A layer of a forward pass: rows of activations x (2×3) times a weight
// matrix w stored [out, in] (2×3), as x·wᵀ.
func ExampleFloat32() {
	x := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	w := []float32{
		1, 0, -1,
		0.5, 0.5, 0.5,
	}
	y := make([]float32, 2*2)
	fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 1, x, 3, w, 3, 0, y, 2)
	fmt.Println(y)
	// Output: [-2 3 -2 7.5]
}

// Code that runs many products at once, one per goroutine, gives each a
// single thread; one large product at a time wants them all.
func ExampleSetThreads() {
	fastblas.SetThreads(1)       // e.g. while scoring windows in parallel
	defer fastblas.SetThreads(0) // back to GOMAXPROCS
	fmt.Println(fastblas.Threads())
	// Output: 1
}
