package omp_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

func ExampleSolve() {
	// Four anchors in the plane and one target, (3, 1). Anchor 3
	// correlates most (5); after fitting it, the residual (1, 2)
	// correlates most with anchor 2, and the two fit the target exactly.
	dict := blas32.General{Rows: 4, Cols: 2, Stride: 2, Data: []float32{
		1, 0,
		0, 1,
		1, 1,
		2, -1,
	}}
	targets := blas32.General{Rows: 1, Cols: 2, Stride: 2, Data: []float32{3, 1}}
	sol, err := omp.Solve(context.Background(), dict, targets, omp.Options{K: 2})
	if err != nil {
		panic(err)
	}
	for _, term := range sol.Terms(0) {
		fmt.Printf("anchor %d × %.3f\n", term.Anchor, term.Weight)
	}
	fmt.Printf("residual %.3f, stopped by %v\n", sol.Residual(0), sol.Stop(0))
	// Output:
	// anchor 3 × 0.667
	// anchor 2 × 1.667
	// residual 0.000, stopped by orthogonal
}

func ExampleMethod() {
	// A donor model with 3-wide rows and a base model with 2-wide rows
	// share three tokens (new ids 0–2 are old ids 0–2); new token 3 is
	// 2·token 0 − token 2 in the donor's space.
	donor := blas32.General{Rows: 4, Cols: 3, Stride: 3, Data: []float32{
		1, 0, 0,
		0, 1, 0,
		0, 0, 1,
		2, 0, -1,
	}}
	base := blas32.General{Rows: 3, Cols: 2, Stride: 2, Data: []float32{
		1, 1,
		0, 2,
		3, 0,
	}}
	p := &heuristics.Problem{
		Base: base, Donor: donor,
		Anchors: []heuristics.Anchor{{Old: 0, New: 0}, {Old: 1, New: 1}, {Old: 2, New: 2}},
		Targets: []heuristics.Target{{NewID: 3}},
	}
	rm, err := omp.Method{}.Build(context.Background(), p)
	if err != nil {
		panic(err)
	}
	dst := blas32.General{Rows: 1, Cols: 2, Stride: 2, Data: make([]float32, 2)}
	if err := rm.Apply(context.Background(), dst, base); err != nil {
		panic(err)
	}
	fmt.Println(rm.Rows[0].Terms)
	fmt.Println(dst.Data) // 2·(1, 1) − (3, 0)
	// Output:
	// [{0 2} {2 -1}]
	// [-1 2]
}
