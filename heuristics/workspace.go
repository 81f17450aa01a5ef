package heuristics

import "unsafe"

// Shape is the size of a Problem, known before its tables are read: what a
// method's working memory depends on.
type Shape struct {
	Targets, Anchors int
	Cols             int // width of the base table
	DonorCols        int // width of the donor table; 0 without a donor
}

// A Sizer is a Method that can say, from a problem's shape alone, how much
// memory Build allocates beyond its inputs, the terms of the map it returns
// included, or why it cannot run at that size. Planners (a dry run) ask it; a Method that is
// not a Sizer needs no more than a few rows.
type Sizer interface {
	Method
	Workspace(Shape) (int64, error)
}

var _ Sizer = Randn{}

// Workspace implements Sizer: the covariance matrix and its factor, in
// float64.
func (Randn) Workspace(s Shape) (int64, error) {
	return int64(s.Cols) * int64(s.Cols) * 16, nil
}

// Workspace implements Sizer: unit-length copies of the donor rows of the
// targets and anchors, each target's neighbours, and their terms.
func (m KNN) Workspace(s Shape) (int64, error) {
	return donorSearchBytes(s, m.K) + termsBytes(s.Targets, m.K), nil
}

// Workspace implements Sizer: the donor search of KNN, when there is a
// donor, the local estimates as queries, and the terms of pieces and
// neighbours.
func (h Hybrid) Workspace(s Shape) (int64, error) {
	const typicalPieces = 4
	return donorSearchBytes(s, h.K) + int64(s.Targets)*int64(s.Cols)*4 + termsBytes(s.Targets, h.K+typicalPieces), nil
}

// termsBytes is the memory of n rows of k terms each.
func termsBytes(n, k int) int64 {
	return int64(n) * int64(k) * int64(unsafe.Sizeof(Term{}))
}

// donorSearchBytes is the memory of a nearest-anchor search in the donor
// space: normalized donor rows of targets and anchors, and k neighbours
// (index and similarity) per target.
func donorSearchBytes(s Shape, k int) int64 {
	return int64(s.Targets+s.Anchors)*int64(s.DonorCols)*4 + int64(s.Targets)*int64(k)*8
}
