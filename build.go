package transplant

import (
	"context"
	"fmt"

	"github.com/transplant-dev/transplant/heuristics"
)

// BuildOptions tune Build.
type BuildOptions struct {
	// Seed makes random methods repeatable.
	Seed uint64
	// Progress, when set, hears about each table's method: stage names the
	// table ("input embedding", "output head"), done and total count its
	// tokens.
	Progress func(stage string, done, total int64)
}

// A BuiltTable is one table's row map and the method that made it.
type BuiltTable struct {
	Table  Table
	Method heuristics.Method
	Map    *heuristics.Map
}

// Built is what Build makes: how every new row of every table is made,
// before any row is. Write turns it into a model directory.
type Built struct {
	Seed   uint64
	Tables []BuiltTable
}

// Build runs the chosen method on every table and returns their row maps.
// It reads each base table (and the donor's) in turn; nothing is written.
func (s *Session) Build(ctx context.Context, c Choice, opts BuildOptions) (*Built, error) {
	if _, err := s.Plan(c, ""); err != nil {
		return nil, err
	}
	b := &Built{Seed: opts.Seed}
	var buf scratch
	for _, t := range s.tables {
		m := c.For(t.Role)
		p, _, err := s.problem(t, s.targets, s.anchors, opts.Seed, &buf)
		if err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			stage := t.Role.String()
			p.Progress = func(done, total int) { opts.Progress(stage, int64(done), int64(total)) }
		}
		rm, err := m.Build(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("transplant: %s: %s: %w", t.Role, m.Name(), err)
		}
		b.Tables = append(b.Tables, BuiltTable{Table: t, Method: m, Map: rm})
	}
	return b, nil
}
