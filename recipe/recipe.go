package recipe

import (
	"encoding/json"
	"errors"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
)

// FormatVersion is the version of the file layout Write produces.
const FormatVersion = 1

// Errors callers branch on with errors.Is.
var (
	// ErrFormat reports a file that is not a recipe, or a damaged one.
	ErrFormat = errors.New("not a valid recipe")
	// ErrMismatch reports recipes, or a recipe and a checkpoint, that do
	// not belong together.
	ErrMismatch = errors.New("recipe does not match")
	// ErrNotRecordable reports a map a recipe cannot hold: rows with a
	// correction fitted to one base model's states (heuristics.Row.Delta),
	// which no other checkpoint shares; a recipe records the calibration
	// instead (Meta.Calibration).
	ErrNotRecordable = errors.New("row map cannot be recorded in a recipe")
)

// A Recipe is how a transplant makes every row of its new tables.
type Recipe struct {
	Meta Meta
	// Kind and Source say where each row of the new tables comes from, as
	// in align.Alignment: Source is the old row a copied row comes from.
	Kind   []align.Kind
	Source []int
	// Tables holds one row map per table, in Meta.Tables' order.
	Maps []*heuristics.Map
	// TokenizerFiles are the new tokenizer's files by name.
	TokenizerFiles map[string][]byte
}

// Meta is the JSON part of a recipe.
type Meta struct {
	Format  int    `json:"format"`
	Tool    string `json:"tool"`
	Version string `json:"version"`
	// Key identifies the solve: two recipes with one key, whole or
	// merged, are the same bytes (see transplant.Session.SolveKey).
	Key string `json:"key"`
	// OldVocabulary identifies the vocabulary the recipe moves away from:
	// a checkpoint it applies to must have exactly these tokens.
	OldVocabulary Fingerprint `json:"old_vocabulary"`
	// NewTokenizer identifies the tokenizer it moves onto.
	NewTokenizer Fingerprint `json:"new_tokenizer"`
	// Donor identifies the donor tables the maps were solved with; nil
	// without a donor.
	Donor *Fingerprint `json:"donor,omitempty"`
	Seed  uint64       `json:"seed"`
	// Alignment is the report of the alignment, for summaries.
	Alignment align.Report `json:"alignment"`
	Tables    []Table      `json:"tables"`
	// Targets is the number of new tokens the maps build when whole.
	Targets int `json:"targets"`
	// Shard says which slice of the targets the maps build; nil when
	// whole.
	Shard *Shard `json:"shard,omitempty"`
	// Calibration, when set, says the head map is a prior that each base
	// the recipe is applied to fits to itself on this text.
	Calibration *Calibration `json:"calibration,omitempty"`
}

// Calibration records a head calibration: the text, by content, and the
// options of the fit.
type Calibration struct {
	Name    string          `json:"name,omitempty"`
	Text    Fingerprint     `json:"text"`
	Options json.RawMessage `json:"options,omitempty"`
}

// A Fingerprint identifies a vocabulary, a tokenizer or tables by the
// SHA-256 of their content, with their size.
type Fingerprint struct {
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// Table describes one table's map.
type Table struct {
	Role heuristics.Role `json:"role"`
	// Tensor names the base tensor the recipe was made from, for reports.
	Tensor string `json:"tensor"`
	// Cols is the width the map applies to, a head bias included.
	Cols int `json:"cols"`
	// Method and Params say how the map was made.
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	// Redo marks a map that depends on the values of the base it was made
	// on: applied to another checkpoint, the method runs again there.
	Redo bool `json:"redo,omitempty"`
	// How lists the map's ways of making a row; each row names one by
	// index.
	How []string `json:"how"`
	// Measures lists the names of the map's per-row measures.
	Measures []string `json:"measures,omitempty"`
	// Noise is the map's noise term; nil when no row has one.
	Noise *Noise `json:"noise,omitempty"`
}

// Noise is a map's noise term: see heuristics.Noise.
type Noise struct {
	Scale float64 `json:"scale"`
	Seed  uint64  `json:"seed"`
}

// Shard is a slice of a recipe's targets: Index of Count, targets
// [First, End).
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	First int `json:"first"`
	End   int `json:"end"`
}

// ShardUnit is the granularity of shards: every shard but the last holds a
// multiple of it, so that methods that work in blocks see the same blocks
// whether the solve is split or not.
const ShardUnit = 1024

// ShardRange returns the targets [first, end) of shard index of count over
// n targets: consecutive runs of whole units, as even as units allow.
func ShardRange(index, count, n int) (first, end int) {
	units := (n + ShardUnit - 1) / ShardUnit
	lo := index * units / count
	hi := (index + 1) * units / count
	return min(lo*ShardUnit, n), min(hi*ShardUnit, n)
}
