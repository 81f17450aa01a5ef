package calibrate_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/calibrate"
)

// A head row fitted to target logits on three hidden states, with one stay
// context where its logit must stay what the prior gives.
func ExampleFitter() {
	stay := blas32.General{Rows: 1, Cols: 2, Stride: 2, Data: []float32{0, 1}}
	f, err := calibrate.NewFitter(stay, 1e-6)
	if err != nil {
		panic(err)
	}
	states := blas32.General{Rows: 3, Cols: 2, Stride: 2, Data: []float32{1, 0, 2, 0, 1, 0.01}}
	targets := []float64{3, 6, 3} // the logits of the row (3, 0)
	prior := []float32{0, 0}
	row := make([]float32, 2)
	if err := f.Fit(row, prior, states, targets); err != nil {
		panic(err)
	}
	round := func(x float32) float64 { return math.Round(float64(x)*1000)/1000 + 0 } // +0: no −0
	fmt.Printf("%.3f %.3f\n", round(row[0]), round(row[1]))
	// Output: 3.000 0.000
}
