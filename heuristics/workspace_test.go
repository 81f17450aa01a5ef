package heuristics

import "testing"

// The methods that allocate more than a few rows say how much, so that a
// dry run's memory estimate includes them; methods that do not stay out.
func TestSizers(t *testing.T) {
	s := Shape{Targets: 100, Anchors: 50, Cols: 8, DonorCols: 6}
	for _, tc := range []struct {
		m    Method
		want int64
	}{
		{Randn{}, 8 * 8 * 16},
		{KNN{K: 4}, 150*6*4 + 100*4*8 + 100*4*16},
		{Hybrid{K: 3}, 150*6*4 + 100*3*8 + 100*8*4 + 100*(3+4)*16},
	} {
		z, ok := tc.m.(Sizer)
		if !ok {
			t.Errorf("%s is not a Sizer", tc.m.Name())
			continue
		}
		if got, err := z.Workspace(s); err != nil || got != tc.want {
			t.Errorf("%s: Workspace = %d, %v; want %d", tc.m.Name(), got, err, tc.want)
		}
	}
	for _, m := range []Method{Zero{}, Mean{}, Subword{}} {
		if _, ok := m.(Sizer); ok {
			t.Errorf("%s needs no workspace but claims one", m.Name())
		}
	}
}
