package transplant

import "testing"

func TestSpreadPicksEvenly(t *testing.T) {
	tests := []struct {
		n, max int
		want   []int // the contexts kept, by their place among the row's
	}{
		{n: 3, max: 5, want: []int{0, 1, 2}},
		{n: 5, max: 5, want: []int{0, 1, 2, 3, 4}},
		{n: 10, max: 5, want: []int{0, 2, 4, 6, 8}},
		{n: 7, max: 3, want: []int{1, 3, 5}},
		{n: 1000, max: 1, want: []int{499}},
	}
	for _, tt := range tests {
		s := newSpread(2, tt.max)
		for range tt.n {
			s.count(1)
		}
		s.count(0) // another row's count changes nothing
		var got []int
		for k := range tt.n {
			if s.keep(1) {
				got = append(got, k)
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("n=%d max=%d: kept %v, want %v", tt.n, tt.max, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("n=%d max=%d: kept %v, want %v", tt.n, tt.max, got, tt.want)
				break
			}
		}
	}
}
