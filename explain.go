package transplant

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
)

// A TokenRow says how one new token's row of one table was made.
type TokenRow struct {
	ID    int             `json:"id"`
	Token string          `json:"token"`
	Table heuristics.Role `json:"table"`
	// How is "copied", "copied, calibrated" (HowCopiedCalibrated),
	// "padding", or how the method made the row ("subword", "mean (no
	// pieces)", "omp (stopped by k)").
	How string `json:"how"`
	// From is the old token a copied row comes from.
	From *OldToken `json:"from,omitempty"`
	// Terms are the base rows combined, with their weights, in the order
	// the method gave them: the subword pieces, the neighbours, or the
	// anchors OMP chose.
	Terms []Term `json:"terms,omitempty"`
	// Mean is the weight of the mean of the base rows, a whole-table term.
	Mean float64 `json:"mean,omitempty"`
	// Noise is the seeded random term, when the row has one.
	Noise *NoiseTerm `json:"noise,omitempty"`
	// Measures are the method's diagnostics of the row, such as OMP's
	// relative residual in the donor's space.
	Measures map[string]float64 `json:"measures,omitempty"`
}

// An OldToken names a row of the base tables.
type OldToken struct {
	ID    int    `json:"id"`
	Token string `json:"token"`
}

// A Term is one base row a new row combines.
type Term struct {
	OldToken
	Weight float64 `json:"weight"`
}

// A NoiseTerm is a draw from N(0, Scale·Σ), Σ the covariance of the base
// rows, seeded by Seed and the token's new id.
type NoiseTerm struct {
	Scale float64 `json:"scale"`
	Seed  uint64  `json:"seed"`
}

// Summary describes a measure's distribution over a table's rows.
type Summary struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Max    float64 `json:"max"`
}

// ResolveTokens finds the new ids of tokens named by spelling, by their
// text, or as "#ID".
func (s *Session) ResolveTokens(names []string) ([]int, error) {
	var ids []int
	for _, n := range names {
		if id, ok := s.newTok.ID(n); ok {
			ids = append(ids, id)
			continue
		}
		if len(n) > 1 && n[0] == '#' {
			if id, err := strconv.Atoi(n[1:]); err == nil && id >= 0 && id < s.alignment.Rows {
				ids = append(ids, id)
				continue
			}
		}
		if enc := s.newTok.EncodeSurface([]byte(n)); len(enc) == 1 {
			ids = append(ids, enc[0])
			continue
		}
		return nil, fmt.Errorf("transplant: %q is not one token of the new tokenizer (give its spelling, its text, or #ID)", n)
	}
	return ids, nil
}

// tokenRows records how each selected row of a built table was made.
func (s *Session) tokenRows(bt BuiltTable, want func(id int) bool) []TokenRow {
	a := s.alignment
	mapRow := make(map[int]int, len(bt.Map.Rows))
	for i, r := range bt.Map.Rows {
		mapRow[r.ID] = i
	}
	corrected := map[int]bool{}
	for _, c := range bt.Map.Corrections {
		corrected[c.ID] = true
	}
	var rows []TokenRow
	for id := range a.Rows {
		if !want(id) {
			continue
		}
		r := TokenRow{ID: id, Token: spelling(s.newTok, id), Table: bt.Table.Role}
		k := a.Kind[id]
		switch {
		case k.Copied():
			r.How = "copied"
			if corrected[id] {
				r.How = HowCopiedCalibrated
			}
			r.From = &OldToken{ID: a.Source[id], Token: spelling(s.oldTok, a.Source[id])}
		case k == align.Padding:
			r.How = "padding"
		default:
			s.explainBuilt(&r, bt.Map, mapRow[id])
		}
		rows = append(rows, r)
	}
	return rows
}

// explainBuilt fills r from row i of the map.
func (s *Session) explainBuilt(r *TokenRow, m *heuristics.Map, i int) {
	mr := m.Rows[i]
	r.How, r.Mean = mr.How, mr.Mean
	for _, t := range mr.Terms {
		r.Terms = append(r.Terms, Term{OldToken: OldToken{ID: t.Old, Token: spelling(s.oldTok, t.Old)}, Weight: t.Weight})
	}
	if mr.Noise {
		r.Noise = &NoiseTerm{Scale: m.Noise.Scale, Seed: m.Noise.Seed}
	}
	for _, ms := range m.Measures {
		if v := ms.Values[i]; !math.IsNaN(v) {
			if r.Measures == nil {
				r.Measures = map[string]float64{}
			}
			r.Measures[ms.Name] = v
		}
	}
}

func spelling(tok interface{ TokenString(int) (string, bool) }, id int) string {
	s, _ := tok.TokenString(id)
	return s
}

// summarizeMeasures gives the distribution of each of a map's measures
// over the rows that have a value.
func summarizeMeasures(m *heuristics.Map) map[string]Summary {
	out := map[string]Summary{}
	for _, ms := range m.Measures {
		var v []float64
		var sum float64
		for _, x := range ms.Values {
			if !math.IsNaN(x) {
				v = append(v, x)
				sum += x
			}
		}
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		q := func(p float64) float64 { return v[min(len(v)-1, int(p*float64(len(v))))] }
		out[ms.Name] = Summary{Mean: sum / float64(len(v)), Median: q(0.5), P90: q(0.9), Max: v[len(v)-1]}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
