package fastblas

import (
	"testing"
	"time"
)

// The rate is a positive number of operations per second, below any CPU's
// (a petaflop).
func TestRate(t *testing.T) {
	r := Rate(10 * time.Millisecond)
	if !(r > 0) || r > 1e15 {
		t.Errorf("rate %g FLOP/s", r)
	}
}
