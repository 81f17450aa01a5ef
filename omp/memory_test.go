package omp

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// The estimate must be what the engine really allocates, in every mode.
func TestWorkingMemoryMatchesEngine(t *testing.T) {
	const n, hid, targets = 300, 24, 50
	dict := blas32.General{Rows: n, Cols: hid, Stride: hid, Data: make([]float32, n*hid)}
	for i := range dict.Data {
		dict.Data[i] = float32(i%7) - 3
	}
	for _, o := range []Options{
		{K: 8},
		{K: 8, Normalize: true},
		{K: 5, Float64: true, Threads: 3},
		{K: 8, MaxMemory: 1 << 20}, // a cache too small for every column
	} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			want, err := WorkingMemory(n, hid, targets, o)
			if err != nil {
				t.Fatal(err)
			}
			r, err := o.resolved(n)
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			if r.Float64 {
				batch, capacity, err := plan(n, hid, targets, 8, r)
				if err != nil {
					t.Fatal(err)
				}
				got = newEngine(kernels64(), dict, r, batch, capacity).bytes()
			} else {
				batch, capacity, err := plan(n, hid, targets, 4, r)
				if err != nil {
					t.Fatal(err)
				}
				got = newEngine(kernels32(), dict, r, batch, capacity).bytes()
			}
			if got != want {
				t.Errorf("engine allocates %d bytes, WorkingMemory says %d", got, want)
			}
			if want > r.MaxMemory {
				t.Errorf("WorkingMemory %d exceeds MaxMemory %d", want, r.MaxMemory)
			}
		})
	}
}
