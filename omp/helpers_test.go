package omp

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas32"
)

// structured returns rows×cols data that looks like an embedding table: a
// low-rank part with a decaying spectrum, a shared mean direction, noise,
// and row norms that vary, all from one seed.
func structured(seed uint64, rows, cols, rank int) blas32.General {
	rng := rand.New(rand.NewPCG(seed, 7))
	basis := make([]float64, rank*cols)
	for i := range basis {
		basis[i] = rng.NormFloat64() / math.Sqrt(float64(cols))
	}
	mean := make([]float64, cols)
	for c := range mean {
		mean[c] = 0.3 * rng.NormFloat64() / math.Sqrt(float64(cols))
	}
	m := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	z := make([]float64, rank)
	for i := range rows {
		for r := range z {
			z[r] = rng.NormFloat64() * 3 / math.Sqrt(1+float64(r)/4)
		}
		scale := math.Exp(0.3 * rng.NormFloat64())
		for c := range cols {
			v := mean[c] + 0.5*rng.NormFloat64()/math.Sqrt(float64(cols))
			for r, zr := range z {
				v += zr * basis[r*cols+c]
			}
			m.Data[i*cols+c] = float32(scale * v)
		}
	}
	return m
}

// gaussian returns rows×cols independent standard normal entries.
func gaussian(seed uint64, rows, cols int) blas32.General {
	rng := rand.New(rand.NewPCG(seed, 11))
	m := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}
