package transplant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

func TestUnseenSharesCountOtherParts(t *testing.T) {
	st := &calStream{ids: make([]int, 8), tokens: 10, occ: []calOccurrence{
		{row: 0, start: 0}, {row: 0, start: 5}, // parts 0 and 2: seen elsewhere
		{row: 1, start: 2}, {row: 1, start: 3}, // part 1 only: 2 unseen
		{row: 2, start: 7},                     // part 3 only: 1 unseen
		{row: 3, start: 1}, {row: 3, start: 3}, // parts 0 and 1: seen elsewhere
	}}
	groups := []int{0, 1, 1, 3} // by row
	tests := []struct {
		parts int
		want  [unseenGroups]float64 // at least one token's share, 0.1
	}{
		{4, [unseenGroups]float64{0.1, 0.3, 0.1, 0.1, 0.1}},
		{2, [unseenGroups]float64{0.1, 0.3, 0.1, 0.2, 0.1}}, // rows 1 and 3 in part 0 only, row 2 in part 1
	}
	for _, tt := range tests {
		if got := unseenShares(st, groups, tt.parts); got != tt.want {
			t.Errorf("%d parts: shares %v, want %v", tt.parts, got, tt.want)
		}
	}
}

func TestGroupOf(t *testing.T) {
	for n, want := range []int{0, 0, 1, 2, 3, 4, 4, 4} {
		if got := groupOf(n); got != want {
			t.Errorf("groupOf(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestPredictingPositions(t *testing.T) {
	// Chunk start, then tokens of 2, 1, 0 (a dropped special), 2 and 2 old ids.
	st := &calStream{newIDs: []int{-1, 10, 11, 12, 13, 14}, pos: []int{0, 1, 3, 4, 4, 6, 8}}
	if got, want := predictingPositions(st, 10), []int{0, 2, 3, 5}; !slices.Equal(got, want) {
		t.Errorf("all: %v, want %v", got, want)
	}
	if got, want := predictingPositions(st, 2), []int{0, 3}; !slices.Equal(got, want) {
		t.Errorf("two: %v, want %v", got, want)
	}
}

// massTest is a head of 7 rows of width 3: old rows 0–2 copied (row 1
// corrected), new row 3 fitted, rows 4–6 unseen (6 with a Delta of its
// own), and states whose last coordinate is 1.
func massTest(t *testing.T) (base blas32.General, anchors []heuristics.Anchor, prior *heuristics.Map, fitted []bool, states blas32.General) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	base = blas32.General{Rows: 5, Cols: 3, Stride: 3, Data: make([]float32, 15)}
	for i := range base.Data {
		base.Data[i] = float32(r.NormFloat64())
	}
	base.Data[4*3+2] = 3 // old row 4 is likely everywhere
	anchors = []heuristics.Anchor{{Old: 0, New: 0}, {Old: 1, New: 1}, {Old: 2, New: 2}}
	prior = &heuristics.Map{
		Rows: []heuristics.Row{
			{ID: 3, Terms: []heuristics.Term{{Old: 3, Weight: 1}}, Delta: []float32{0.5, 0, 0}, How: HowCalibrated},
			{ID: 4, Terms: []heuristics.Term{{Old: 4, Weight: 1}}, How: "knn"},
			{ID: 5, Mean: 1, How: "mean"},
			{ID: 6, Terms: []heuristics.Term{{Old: 4, Weight: 1}}, Delta: []float32{0, 0.25, 0}, How: "knn"},
		},
		Corrections: []heuristics.Correction{{ID: 1, Delta: []float32{0, 0, -1}}},
	}
	fitted = []bool{true, false, false, false}
	states = blas32.General{Rows: 40, Cols: 3, Stride: 3, Data: make([]float32, 120)}
	for i := range states.Rows {
		states.Data[3*i], states.Data[3*i+1], states.Data[3*i+2] = float32(r.NormFloat64()), float32(r.NormFloat64()), 1
	}
	return base, anchors, prior, fitted, states
}

// unseenSharesOf computes each group's mean probability from scratch: the
// whole head's rows, each state's softmax.
func unseenSharesOf(t *testing.T, base blas32.General, anchors []heuristics.Anchor, rm *heuristics.Map, fitted []bool, groups []int, states blas32.General) (shares [unseenGroups]float64) {
	t.Helper()
	built := blas32.General{Rows: len(rm.Rows), Cols: 3, Stride: 3, Data: make([]float32, 3*len(rm.Rows))}
	if err := rm.Apply(context.Background(), built, base); err != nil {
		t.Fatal(err)
	}
	var rows [][]float32
	for _, a := range anchors {
		row := slices.Clone(base.Data[3*a.Old : 3*a.Old+3])
		for _, c := range rm.Corrections {
			if c.ID == a.New {
				for j := range row {
					row[j] += c.Delta[j]
				}
			}
		}
		rows = append(rows, row)
	}
	for i := range rm.Rows {
		rows = append(rows, built.Data[3*i:3*i+3])
	}
	for c := range states.Rows {
		h := states.Data[3*c : 3*c+3]
		var all float64
		var unseen [unseenGroups]float64
		for k, row := range rows {
			e := math.Exp(float64(row[0]*h[0] + row[1]*h[1] + row[2]*h[2]))
			all += e
			if i := k - len(anchors); i >= 0 && !fitted[i] {
				unseen[groups[i]] += e
			}
		}
		for g := range shares {
			shares[g] += unseen[g] / all / float64(states.Rows)
		}
	}
	return shares
}

func TestLowerUnseenMeetsTargets(t *testing.T) {
	base, anchors, prior, fitted, states := massTest(t)
	groups := []int{0, 1, 0, 1} // rows 4 and 6 in group 1, row 5 in group 0
	before := unseenSharesOf(t, base, anchors, prior, fitted, groups, states)
	lowered := [unseenGroups]float64{before[0] / 4, before[1] / 2, 1, 1, 1}
	left := [unseenGroups]float64{before[0] * 1.5, before[1] * 1.5, 1, 1, 1}
	for _, tt := range []struct {
		name   string
		target [unseenGroups]float64
		lowers bool
	}{
		{"lowered", lowered, true},
		{"left: already below", left, false},
	} {
		rm := *prior
		rm.Rows = slices.Clone(prior.Rows)
		rep := CalibrationReport{Kept: 3}
		ms := &massSamples{states: states, groups: groups, target: tt.target}
		if err := lowerUnseen(context.Background(), &rm, fitted, base, anchors, ms, &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Unseen) != 2 || rep.Unseen[0].Pieces != 1 || rep.Unseen[0].Rows != 1 || rep.Unseen[1].Pieces != 2 || rep.Unseen[1].Rows != 2 {
			t.Fatalf("%s: report %+v", tt.name, rep.Unseen)
		}
		after := unseenSharesOf(t, base, anchors, &rm, fitted, groups, states)
		for g, u := range rep.Unseen {
			if math.Abs(u.Mass-before[g]) > 1e-6 || u.Target != tt.target[g] {
				t.Errorf("%s: group %d: %+v, want mass %g before", tt.name, g, u, before[g])
			}
			if !tt.lowers && (u.Shift != 0 || after[g] != before[g]) {
				t.Errorf("%s: group %d: shift %g, share %g → %g", tt.name, g, u.Shift, before[g], after[g])
			}
			if tt.lowers && (u.Shift >= 0 || math.Abs(after[g]-tt.target[g]) > 1e-4) {
				t.Errorf("%s: group %d: shift %g, share %g → %g, want %g", tt.name, g, u.Shift, before[g], after[g], tt.target[g])
			}
		}
		if !tt.lowers {
			continue
		}
		if c := rm.Counts(); c["knn"+HowLowered] != 2 || c["mean"+HowLowered] != 1 || c[HowCalibrated] != 1 {
			t.Errorf("%s: counts %v", tt.name, c)
		}
		if !slices.Equal(rm.Rows[0].Delta, prior.Rows[0].Delta) {
			t.Errorf("%s: the fitted row moved: %v", tt.name, rm.Rows[0].Delta)
		}
		if prior.Rows[3].Delta[1] != 0.25 || rm.Rows[3].Delta[1] == 0.25 || prior.Rows[1].Delta != nil {
			t.Errorf("%s: the prior's rows changed, or row 6 kept its Delta: prior %v, lowered %v", tt.name, prior.Rows, rm.Rows)
		}
	}
}
