package fastblas

import (
	"time"

	"gonum.org/v1/gonum/blas"
)

// Rate measures how fast Float32 multiplies matrices, in floating-point
// operations per second, on a product shaped like a forward pass's (a
// window of 256 positions by a 1024 × 1024 weight), repeated for about d
// after one untimed product. It is what an estimate of a run's time
// divides the run's operations by, so it ignores everything but the
// products (a forward pass runs somewhat slower).
func Rate(d time.Duration) float64 {
	const m, k, n = 256, 1024, 1024
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range b {
		b[i] = float32(i%5) - 2
	}
	product := func() { impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n) }
	product()
	start := time.Now()
	products := 0
	for products == 0 || time.Since(start) < d {
		product()
		products++
	}
	return 2 * m * k * n * float64(products) / time.Since(start).Seconds()
}
