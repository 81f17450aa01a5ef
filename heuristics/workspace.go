package heuristics

// Shape is the size of a Problem, known before its tables are read: what a
// method's working memory depends on.
type Shape struct {
	Targets, Anchors int
	Cols             int // width of the base table
	DonorCols        int // width of the donor table; 0 without a donor
}

// A Sizer is a Method that can say, from a problem's shape alone, how much
// memory Build allocates beyond its inputs and dst, or why it cannot run
// at that size. Planners (a dry run) ask it; a Method that is not a Sizer
// needs no more than a few rows.
type Sizer interface {
	Workspace(Shape) (int64, error)
}

// Workspace implements Sizer: the covariance matrix and its factor, in
// float64.
func (Randn) Workspace(s Shape) (int64, error) {
	return int64(s.Cols) * int64(s.Cols) * 16, nil
}

// Workspace implements Sizer: unit-length copies of the donor rows of the
// targets and anchors, and each target's neighbours.
func (m KNN) Workspace(s Shape) (int64, error) {
	return donorSearchBytes(s, m.K), nil
}

// Workspace implements Sizer: the donor search of KNN, when there is a
// donor, and the local estimates.
func (h Hybrid) Workspace(s Shape) (int64, error) {
	return donorSearchBytes(s, h.K) + int64(s.Targets)*int64(s.Cols)*4, nil
}

// donorSearchBytes is the memory of a nearest-anchor search in the donor
// space: normalized donor rows of targets and anchors, and k neighbours
// (index and similarity) per target.
func donorSearchBytes(s Shape, k int) int64 {
	return int64(s.Targets+s.Anchors)*int64(s.DonorCols)*4 + int64(s.Targets)*int64(k)*8
}
