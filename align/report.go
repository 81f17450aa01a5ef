package align

// A Report summarizes an alignment: how many new rows each kind of match
// produced, how that compares with matching spellings alone, and what could
// not be placed.
type Report struct {
	OldTokens int `json:"old_tokens"` // ids in the old tokenizer
	OldRows   int `json:"old_rows"`   // rows of the base embedding
	NewTokens int `json:"new_tokens"` // ids in the new tokenizer
	NewRows   int `json:"new_rows"`   // rows of the new embedding, padding included

	// Counts by kind of new row, keyed by Kind.String().
	Kinds map[string]int `json:"kinds"`

	// Shared is the number of new tokens whose row is copied.
	Shared int `json:"shared"`
	// SpellingMatches is what matching spellings alone finds, the way most
	// tools align vocabularies; Shared - SpellingMatches is the gain of
	// matching bytes.
	SpellingMatches int `json:"spelling_matches"`

	// NewByteFallback counts the new tokenizer's "<0xNN>" tokens, and
	// ByteFallbackMatched how many of them found an old row.
	NewByteFallback     int `json:"new_byte_fallback"`
	ByteFallbackMatched int `json:"byte_fallback_matched"`

	// OldWithoutRow counts old ids the base embedding has no row for.
	OldWithoutRow int `json:"old_without_row"`
	// OldUnused counts old tokens that no new row copies.
	OldUnused int `json:"old_unused"`

	// Roles shows the special-token roles of both sides (-1 when absent).
	Roles []RolePair `json:"roles"`
}

// A RolePair shows one role's token on both sides.
type RolePair struct {
	Role  Role `json:"role"`
	Old   int  `json:"old"`
	New   int  `json:"new"`
	Moved bool `json:"copied"` // whether the new token got the old one's row
}

func report(old, new *Vocab, a *Alignment, idx *oldIndex, oldRows int) Report {
	r := Report{
		OldTokens: len(old.Tokens),
		OldRows:   oldRows,
		NewTokens: len(new.Tokens),
		NewRows:   a.Rows,
		Kinds:     map[string]int{},
	}
	used := make([]bool, len(old.Tokens))
	for id, k := range a.Kind {
		r.Kinds[k.String()]++
		if k.Copied() {
			r.Shared++
			if a.Source[id] < len(used) {
				used[a.Source[id]] = true
			}
		}
		if id >= len(new.Tokens) || new.Tokens[id].Unused {
			continue
		}
		t := &new.Tokens[id]
		if _, ok := idx.bySpelling[t.Spelling]; ok {
			r.SpellingMatches++
		}
		if t.ByteFallback {
			r.NewByteFallback++
			if k.Copied() {
				r.ByteFallbackMatched++
			}
		}
	}
	for id := range old.Tokens {
		if old.Tokens[id].Unused {
			continue
		}
		if id >= oldRows {
			r.OldWithoutRow++
		} else if !used[id] {
			r.OldUnused++
		}
	}
	for _, role := range Roles {
		p := RolePair{Role: role, Old: roleID(old, role), New: roleID(new, role)}
		p.Moved = p.New >= 0 && p.New < len(a.Kind) && a.Kind[p.New].Copied() && a.Source[p.New] == p.Old && p.Old >= 0
		r.Roles = append(r.Roles, p)
	}
	return r
}

func roleID(v *Vocab, r Role) int {
	if id, ok := v.Roles[r]; ok {
		return id
	}
	return -1
}
