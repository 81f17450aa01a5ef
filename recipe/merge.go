package recipe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/transplant-dev/transplant/heuristics"
)

// Merge joins the shards of one recipe, in any order, into the whole
// recipe. Every shard must be there exactly once, and all must agree on
// everything but their slice of the targets.
func Merge(parts []*Recipe) (*Recipe, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("recipe: merge: no parts")
	}
	parts = slices.Clone(parts)
	for i, p := range parts {
		if p.Meta.Shard == nil {
			return nil, fmt.Errorf("recipe: merge: part %d is a whole recipe, not a shard", i)
		}
	}
	sort.Slice(parts, func(a, b int) bool { return parts[a].Meta.Shard.Index < parts[b].Meta.Shard.Index })
	first := parts[0]
	count := first.Meta.Shard.Count
	if len(parts) != count {
		return nil, fmt.Errorf("recipe: merge: %d parts of a recipe in %d shards", len(parts), count)
	}
	for i, p := range parts {
		if err := sameRecipe(first, p); err != nil {
			return nil, fmt.Errorf("recipe: merge: shard %d: %w", p.Meta.Shard.Index, err)
		}
		s := p.Meta.Shard
		if s.Index != i || s.Count != count {
			return nil, fmt.Errorf("recipe: merge: %w: shard %d of %d where shard %d of %d belongs", ErrMismatch, s.Index, s.Count, i, count)
		}
		if f, e := ShardRange(i, count, p.Meta.Targets); s.First != f || s.End != e {
			return nil, fmt.Errorf("recipe: merge: %w: shard %d covers targets [%d, %d), want [%d, %d)", ErrMismatch, i, s.First, s.End, f, e)
		}
	}
	whole := &Recipe{Meta: first.Meta, Kind: first.Kind, Source: first.Source, TokenizerFiles: first.TokenizerFiles}
	whole.Meta.Shard = nil
	for t := range first.Maps {
		m := &heuristics.Map{Noise: first.Maps[t].Noise}
		for _, ms := range first.Maps[t].Measures {
			m.Measures = append(m.Measures, heuristics.Measure{Name: ms.Name})
		}
		for _, p := range parts {
			pm := p.Maps[t]
			m.Rows = append(m.Rows, pm.Rows...)
			for k := range m.Measures {
				m.Measures[k].Values = append(m.Measures[k].Values, pm.Measures[k].Values...)
			}
		}
		if len(m.Rows) != first.Meta.Targets {
			return nil, fmt.Errorf("recipe: merge: %w: table %d has %d rows for %d targets", ErrMismatch, t, len(m.Rows), first.Meta.Targets)
		}
		whole.Maps = append(whole.Maps, m)
	}
	// The whole recipe's dictionaries are those of its rows in order,
	// which Write recomputes from the rows.
	return whole, nil
}

// sameRecipe reports how b differs from a, shards and per-row
// dictionaries aside.
func sameRecipe(a, b *Recipe) error {
	strip := func(m Meta) ([]byte, error) {
		m.Shard = nil
		m.Tables = slices.Clone(m.Tables)
		for i := range m.Tables {
			m.Tables[i].How, m.Tables[i].Noise = nil, nil
		}
		return json.Marshal(m)
	}
	ma, err := strip(a.Meta)
	if err != nil {
		return err
	}
	mb, err := strip(b.Meta)
	if err != nil {
		return err
	}
	if !bytes.Equal(ma, mb) {
		return fmt.Errorf("%w: the metadata differs from shard 0's (another solve, tokenizer or option)", ErrMismatch)
	}
	if !slices.Equal(a.Kind, b.Kind) || !slices.Equal(a.Source, b.Source) {
		return fmt.Errorf("%w: the alignment differs from shard 0's", ErrMismatch)
	}
	if len(a.TokenizerFiles) != len(b.TokenizerFiles) {
		return fmt.Errorf("%w: the tokenizer files differ from shard 0's", ErrMismatch)
	}
	for name, data := range a.TokenizerFiles {
		if !bytes.Equal(data, b.TokenizerFiles[name]) {
			return fmt.Errorf("%w: tokenizer file %s differs from shard 0's", ErrMismatch, name)
		}
	}
	return nil
}

// MergeFiles reads the shard files parts, merges them and writes the whole
// recipe to out.
func MergeFiles(out string, parts ...string) error {
	var rs []*Recipe
	for _, path := range parts {
		r, err := ReadFile(path)
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	whole, err := Merge(rs)
	if err != nil {
		return err
	}
	return WriteFile(out, whole)
}
