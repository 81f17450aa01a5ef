package omp

import (
	"fmt"
	"math"
	"time"
)

// Stop says why a target's pursuit ended.
type Stop uint8

const (
	// StopK means the target uses K anchors.
	StopK Stop = iota
	// StopTolerance means the residual fell to Options.Tolerance.
	StopTolerance
	// StopOrthogonal means no remaining anchor correlates with the
	// residual beyond rounding error: the fit is exact, or the residual
	// is orthogonal to every anchor.
	StopOrthogonal
	// StopDependent means the best next anchor lies in the span of those
	// already chosen, so it cannot lower the residual.
	StopDependent
)

func (s Stop) String() string {
	switch s {
	case StopK:
		return "k"
	case StopTolerance:
		return "tolerance"
	case StopOrthogonal:
		return "orthogonal"
	case StopDependent:
		return "dependent"
	}
	return fmt.Sprintf("Stop(%d)", uint8(s))
}

// A Term is one anchor of a target's decomposition and its weight.
type Term struct {
	Anchor int
	Weight float64
}

// A Solution holds, for every target, the anchors its pursuit chose, in
// the order it chose them, and their least-squares coefficients.
type Solution struct {
	k        int
	count    []int32
	support  []int32   // k per target
	coef     []float64 // k per target
	residual []float64
	norm     []float64 // ‖x‖
	stop     []Stop

	// Stats describes the work done.
	Stats Stats
}

// Stats describes how Solve went, for run reports and benchmarks.
type Stats struct {
	// BatchSize is the number of targets in flight at once.
	BatchSize int
	// CacheColumns is the most Gram columns the cache held at once, and
	// GramColumns the number computed, recomputations after eviction
	// included.
	CacheColumns, GramColumns int
	// Rounds counts the times targets waited for Gram columns.
	Rounds int
	// Rechecks counts choices between near-equal correlations that were
	// settled by recomputing them exactly from the residual.
	Rechecks int
	// Rebases counts recomputations of a target's correlations from its
	// residual, when rounding in the screen swamped them.
	Rebases int
	// Bytes is the working memory allocated: correlations, Gram cache and
	// copies of the tables.
	Bytes int64
	// Time spent in the matrix products for the initial correlations, the
	// Gram columns and the rebases, and advancing targets between them.
	InitialTime, GramTime, RebaseTime, StepTime time.Duration
	// UpdateTime is the part of StepTime spent updating correlations,
	// α⁰ − Σγ_s g_s; the rest chooses atoms and refits coefficients.
	UpdateTime time.Duration
}

func newSolution(targets, k int) *Solution {
	return &Solution{
		k:        k,
		count:    make([]int32, targets),
		support:  make([]int32, targets*k),
		coef:     make([]float64, targets*k),
		residual: make([]float64, targets),
		norm:     make([]float64, targets),
		stop:     make([]Stop, targets),
	}
}

// Len returns the number of targets.
func (s *Solution) Len() int { return len(s.count) }

// K returns the most anchors a target may use.
func (s *Solution) K() int { return s.k }

// Support returns the anchors target i uses, in the order chosen. The
// slice aliases the solution.
func (s *Solution) Support(i int) []int32 {
	return s.support[i*s.k : i*s.k+int(s.count[i])]
}

// Coef returns the coefficients of Support(i), in the same order. The
// slice aliases the solution.
func (s *Solution) Coef(i int) []float64 {
	return s.coef[i*s.k : i*s.k+int(s.count[i])]
}

// Terms returns target i's decomposition as anchor–weight pairs, in the
// order chosen.
func (s *Solution) Terms(i int) []Term {
	sup, c := s.Support(i), s.Coef(i)
	terms := make([]Term, len(sup))
	for j := range sup {
		terms[j] = Term{Anchor: int(sup[j]), Weight: c[j]}
	}
	return terms
}

// Residual returns ‖x − Σ γ_j d_j‖ for target i.
func (s *Solution) Residual(i int) float64 { return s.residual[i] }

// RelativeResidual returns Residual(i) over the norm of target i, or 0 for
// a zero target.
func (s *Solution) RelativeResidual(i int) float64 {
	if s.norm[i] == 0 {
		return 0
	}
	return s.residual[i] / s.norm[i]
}

// Stop returns why target i's pursuit ended.
func (s *Solution) Stop(i int) Stop { return s.stop[i] }

func norm64(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}
