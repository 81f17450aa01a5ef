package transplant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/recipe"
)

// ErrShard reports a shard index outside its count.
var ErrShard = errors.New("no such shard")

// BuildOptions tune Build.
type BuildOptions struct {
	// Seed makes random methods repeatable.
	Seed uint64
	// Progress, when set, hears about each table's method: stage names the
	// table ("input embedding", "output head"), done and total count its
	// tokens.
	Progress func(stage string, done, total int64)
	// Shard and Shards build only shard Shard (from 0) of Shards slices of
	// the new tokens (recipe.ShardRange), for a recipe solved in parts;
	// Shards 0 or 1 builds them all.
	Shard, Shards int
	// CalibrationText is what Choice.CalibrateHead fits the head on.
	CalibrationText []byte
	Calibration     CalibrationOptions
}

// A BuiltTable is one table's row map, and the method and parameters that
// made it.
type BuiltTable struct {
	Table  Table
	Method string
	Params json.RawMessage
	Map    *heuristics.Map
	// Redo marks a map that depends on this base's own table values
	// (heuristics.BaseDependent): a recipe applied to another checkpoint
	// makes it again there.
	Redo bool
	// Prior is the map before calibration fitted it to the base, nil
	// when it was not: what a recipe records.
	Prior *heuristics.Map
}

// Built is what Build makes: how every new row of every table is made,
// before any row is. Write turns it into a model directory, Recipe into a
// recipe.
type Built struct {
	Seed   uint64
	Tables []BuiltTable
	// Shard is the slice of the new tokens built; nil when all were.
	Shard *recipe.Shard
	// Calibration reports the head rows CalibrateHead fitted; nil when
	// it did not run.
	Calibration *CalibrationReport
	// calibration is what a recipe records of it.
	calibration *recipe.Calibration
}

// Build runs the chosen method on every table and returns their row maps.
// It reads each base table (and the donor's) in turn; nothing is written.
func (s *Session) Build(ctx context.Context, c Choice, opts BuildOptions) (*Built, error) {
	if _, err := s.Plan(c, ""); err != nil {
		return nil, err
	}
	b := &Built{Seed: opts.Seed}
	targets := s.targets
	if opts.Shards > 1 {
		if opts.Shard < 0 || opts.Shard >= opts.Shards {
			return nil, fmt.Errorf("transplant: %w: shard %d of %d (shards count from 0)", ErrShard, opts.Shard, opts.Shards)
		}
		first, end := recipe.ShardRange(opts.Shard, opts.Shards, len(targets))
		b.Shard = &recipe.Shard{Index: opts.Shard, Count: opts.Shards, First: first, End: end}
		targets = targets[first:end]
	}
	var buf scratch
	for _, t := range s.tables {
		m := s.withAuxFallback(c.For(t.Role))
		params, err := paramsOf(m)
		if err != nil {
			return nil, err
		}
		p, _, err := s.problem(t, targets, s.anchors, opts.Seed, &buf)
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
		b.Tables = append(b.Tables, BuiltTable{Table: t, Method: m.Name(), Params: params, Map: rm,
			Redo: heuristics.DependsOnBase(m, s.donor != nil)})
	}
	if c.CalibrateHead {
		if opts.CalibrationText == nil {
			return nil, fmt.Errorf("transplant: calibrating the head needs a calibration text")
		}
		if b.Shard != nil {
			return nil, fmt.Errorf("transplant: %w: a calibrated head is fitted whole, not by shards", ErrShard)
		}
		o := opts.Calibration
		o.Donor = o.Donor || c.CalibrateToDonor
		if o.Progress == nil {
			o.Progress = opts.Progress
		}
		if err := s.CalibrateHead(ctx, b, opts.CalibrationText, o); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// table returns the built table of the given role.
func (b *Built) table(r heuristics.Role) BuiltTable {
	for _, t := range b.Tables {
		if t.Table.Role == r {
			return t
		}
	}
	return BuiltTable{}
}

// withAuxFallback routes to the mean the tokens auxiliary vectors do not
// cover, for methods that search the donor table: a text shows only some
// of a vocabulary's tokens, and a token without a vector has no
// neighbours.
func (s *Session) withAuxFallback(m heuristics.Method) heuristics.Method {
	if s.aux == nil {
		return m
	}
	_, hybrid := m.(heuristics.Hybrid)
	if !hybrid && !heuristics.RequiresDonor(m) {
		return m
	}
	return heuristics.Routed{Primary: m, Fallback: heuristics.Mean{}}
}
