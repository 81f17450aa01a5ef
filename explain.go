package transplant

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// A TokenRow says how one new token's row of one table was made.
type TokenRow struct {
	ID    int    `json:"id"`
	Token string `json:"token"`
	Table string `json:"table"` // "input embedding" or "output head"
	// How is "copied", "padding", or the method's name.
	How string `json:"how"`
	// From is the old token a copied row comes from.
	From *OldToken `json:"from,omitempty"`
	// Terms are the rows combined, with their weights: the subword pieces,
	// or the anchors OMP chose, in the order it chose them.
	Terms []Term `json:"terms,omitempty"`
	// Residual is OMP's ‖x − Σ γ_j d_j‖ / ‖x‖ in the donor's space.
	Residual *float64 `json:"residual,omitempty"`
}

// An OldToken names a row of the base tables.
type OldToken struct {
	ID    int    `json:"id"`
	Token string `json:"token"`
}

// A Term is one base row a new row combines.
type Term struct {
	OldToken
	// NewID is the anchor's id in the new vocabulary (OMP), -1 for pieces.
	NewID  int     `json:"new_id"`
	Weight float64 `json:"weight"`
}

// ResidualSummary describes OMP's relative residuals over a table's tokens.
type ResidualSummary struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Max    float64 `json:"max"`
}

// resolveTokens finds the new ids of tokens named by spelling, by their
// text, or as "#ID".
func (j *Job) resolveTokens(names []string) ([]int, error) {
	var ids []int
	for _, n := range names {
		if id, ok := j.newTok.ID(n); ok {
			ids = append(ids, id)
			continue
		}
		if len(n) > 1 && n[0] == '#' {
			if id, err := strconv.Atoi(n[1:]); err == nil && id >= 0 && id < j.alignment.Rows {
				ids = append(ids, id)
				continue
			}
		}
		if enc := j.newTok.EncodeSurface([]byte(n)); len(enc) == 1 {
			ids = append(ids, enc[0])
			continue
		}
		return nil, fmt.Errorf("transplant: explain: %q is not one token of the new tokenizer (give its spelling, its text, or #ID)", n)
	}
	return ids, nil
}

// tableDetails records how each selected row of table t was made; sol is
// OMP's solution when t's method is OMP.
func (j *Job) tableDetails(t table, want func(id int) bool, sol *omp.Solution) []TokenRow {
	targetIndex := map[int]int{}
	for i, tg := range j.targets {
		targetIndex[tg.NewID] = i
	}
	var rows []TokenRow
	for id := 0; id < j.alignment.Rows; id++ {
		if !want(id) {
			continue
		}
		r := TokenRow{ID: id, Token: j.newSpelling(id), Table: t.stageLabel}
		k := j.alignment.Kind[id]
		switch {
		case k.Copied():
			r.How = "copied"
			r.From = &OldToken{ID: j.alignment.Source[id], Token: j.oldSpelling(j.alignment.Source[id])}
		case k == align.Padding:
			r.How = "padding"
		default:
			r.How = t.method.Name()
			j.explainBuilt(&r, t, targetIndex[id], sol)
		}
		rows = append(rows, r)
	}
	return rows
}

func (j *Job) explainBuilt(r *TokenRow, t table, i int, sol *omp.Solution) {
	switch m := t.method.(type) {
	case heuristics.Subword:
		pieces, weights := heuristics.PieceWeights(j.targets[i].Pieces, m.For(t.output), t.realRows)
		for k, pc := range pieces {
			r.Terms = append(r.Terms, Term{OldToken: OldToken{ID: pc.ID, Token: j.oldSpelling(pc.ID)}, NewID: -1, Weight: weights[k]})
		}
	case omp.Method:
		if sol == nil {
			return
		}
		for _, term := range sol.Terms(i) {
			a := j.anchors[term.Anchor]
			r.Terms = append(r.Terms, Term{OldToken: OldToken{ID: a.Old, Token: j.oldSpelling(a.Old)}, NewID: a.New, Weight: term.Weight})
		}
		res := sol.RelativeResidual(i)
		r.Residual = &res
	}
}

func (j *Job) newSpelling(id int) string {
	s, _ := j.newTok.TokenString(id)
	return s
}

func (j *Job) oldSpelling(id int) string {
	s, _ := j.oldTok.TokenString(id)
	return s
}

// summarizeResiduals gives the distribution of OMP's relative residuals.
func summarizeResiduals(sol *omp.Solution) *ResidualSummary {
	if sol == nil || sol.Len() == 0 {
		return nil
	}
	r := make([]float64, sol.Len())
	var sum float64
	for i := range r {
		r[i] = sol.RelativeResidual(i)
		sum += r[i]
	}
	slices.Sort(r)
	q := func(p float64) float64 { return r[min(len(r)-1, int(p*float64(len(r))))] }
	return &ResidualSummary{Mean: sum / float64(len(r)), Median: q(0.5), P90: q(0.9), Max: r[len(r)-1]}
}
