package transplant

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/recipe"
	"github.com/transplant-dev/transplant/tokenizer"
)

// Recipe returns what b decided, with the alignment, the new tokenizer's
// files and the provenance of both, as a recipe that Open (Inputs.Recipe)
// applies to any checkpoint with this base's vocabulary and widths.
func (s *Session) Recipe(b *Built, version string) (*recipe.Recipe, error) {
	if b.Calibration != nil && b.Calibration.DonorContexts > 0 {
		return nil, fmt.Errorf("transplant: %w: the head was fitted to the donor model, which applying a recipe to another base does not have: calibrate to the base alone (BaseOnly, not Donor) to save a recipe", recipe.ErrNotRecordable)
	}
	key, err := s.solveKey(b.Seed, func(t Table) (string, json.RawMessage) {
		bt := b.table(t.Role)
		return bt.Method, bt.Params
	})
	if err != nil {
		return nil, err
	}
	meta := recipe.Meta{
		Key:  key,
		Tool: "transplant", Version: version, Seed: b.Seed,
		OldVocabulary: vocabularyFingerprint(s.oldTok),
		NewTokenizer:  filesFingerprint(s.newFiles, s.newTok.VocabSize()),
		Alignment:     s.alignment.Report,
		Targets:       len(s.targets),
		Shard:         b.Shard,
		Calibration:   b.calibration,
	}
	if s.HasDonorTable() {
		fp, err := s.donorFingerprint()
		if err != nil {
			return nil, err
		}
		meta.Donor = &fp
	}
	r := &recipe.Recipe{Kind: s.alignment.Kind, Source: s.alignment.Source, TokenizerFiles: s.newFiles}
	for _, bt := range b.Tables {
		meta.Tables = append(meta.Tables, recipe.Table{Role: bt.Table.Role, Tensor: bt.Table.Tensor, Cols: bt.Table.width(),
			Method: bt.Method, Params: bt.Params, Redo: bt.Redo})
		if bt.Prior != nil {
			r.Maps = append(r.Maps, bt.Prior) // each base fits its own
		} else {
			r.Maps = append(r.Maps, bt.Map)
		}
	}
	r.Meta = meta
	return r, nil
}

// SolveKey identifies the recipe that building with c and seed makes:
// the old vocabulary, the widths of the tables, the new tokenizer, the
// alignment, the donor's tables, the methods with every parameter and the
// seed. Sessions with one key build the same recipe, byte for byte, so a
// batch solves once for all of them. It depends on content, never on
// paths.
func (s *Session) SolveKey(c Choice, seed uint64) (string, error) {
	var err error
	key, kerr := s.solveKey(seed, func(t Table) (string, json.RawMessage) {
		m := s.withAuxFallback(c.For(t.Role))
		var p json.RawMessage
		if p, err = paramsOf(m); err != nil {
			return "", nil
		}
		return m.Name(), p
	})
	if err != nil {
		return "", err
	}
	return key, kerr
}

// solveKey hashes what makes a recipe, with the method and parameters of
// each table from method.
func (s *Session) solveKey(seed uint64, method func(Table) (string, json.RawMessage)) (string, error) {
	h := sha256.New()
	enc := json.NewEncoder(h)
	if err := enc.Encode([]any{vocabularyFingerprint(s.oldTok), filesFingerprint(s.newFiles, s.newTok.VocabSize()), seed}); err != nil {
		return "", err
	}
	if err := enc.Encode([]any{s.alignment.Rows, s.alignment.Kind, s.alignment.Source}); err != nil {
		return "", err
	}
	if s.HasDonorTable() {
		fp, err := s.donorFingerprint()
		if err != nil {
			return "", err
		}
		if err := enc.Encode(fp); err != nil {
			return "", err
		}
	}
	for _, t := range s.tables {
		name, params := method(t)
		if err := enc.Encode([]any{t.Role, t.width(), name, params}); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// vocabularyFingerprint identifies a vocabulary by its tokens' spellings,
// id by id: two tokenizer files that differ only in a chat template or a
// normalizer option have the same one.
func vocabularyFingerprint(tok *tokenizer.Tokenizer) recipe.Fingerprint {
	h := sha256.New()
	for id := range tok.VocabSize() {
		sp, ok := tok.TokenString(id)
		fmt.Fprintf(h, "%d\t%t\t%q\n", id, ok, sp)
	}
	return recipe.Fingerprint{Size: tok.VocabSize(), SHA256: hex.EncodeToString(h.Sum(nil))}
}

// filesFingerprint identifies a tokenizer by its files.
func filesFingerprint(files map[string][]byte, size int) recipe.Fingerprint {
	h := sha256.New()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(h, "%q %d\n", name, len(files[name]))
		h.Write(files[name])
	}
	return recipe.Fingerprint{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
}

// donorFingerprint identifies the donor by the bytes of the tables the
// maps were solved with: the donor model's, or the auxiliary vectors.
func (s *Session) donorFingerprint() (recipe.Fingerprint, error) {
	h := sha256.New()
	if s.aux != nil {
		binary.Write(h, binary.LittleEndian, s.aux.Table.Data)
		return recipe.Fingerprint{Size: s.aux.Table.Rows, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
	}
	size := 0
	for _, t := range s.tables {
		r, err := s.donor.Reader(t.DonorTensor)
		if err != nil {
			return recipe.Fingerprint{}, fmt.Errorf("transplant: donor: %w", err)
		}
		if _, err := io.Copy(h, r); err != nil {
			return recipe.Fingerprint{}, fmt.Errorf("transplant: donor %s: %w", s.in.Donor, err)
		}
		size = t.DonorRows
	}
	return recipe.Fingerprint{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// loadedRecipe is a recipe file read with its tokenizer, or why not.
type loadedRecipe struct {
	r   *recipe.Recipe
	tok *tokenizer.Tokenizer
	err error
}

// loadRecipe reads the recipe Inputs.Recipe names and its tokenizer, on
// its own goroutine: Open reads the base meanwhile.
func (s *Session) loadRecipe() <-chan loadedRecipe {
	out := make(chan loadedRecipe, 1)
	in := s.in
	if in.Tokenizer != "" || in.Donor != "" || in.Map != nil || in.PadToMultipleOf != 0 {
		out <- loadedRecipe{err: fmt.Errorf("transplant: a recipe brings its own tokenizer, alignment and rows: no tokenizer, donor, map or padding may be given with it")}
		return out
	}
	go func() {
		r, err := recipe.ReadFile(in.Recipe)
		if err != nil {
			out <- loadedRecipe{err: fmt.Errorf("transplant: %w", err)}
			return
		}
		if r.Meta.Shard != nil {
			out <- loadedRecipe{err: fmt.Errorf("transplant: recipe %s: %w: it is shard %d of %d; merge the shards first", in.Recipe, recipe.ErrMismatch, r.Meta.Shard.Index, r.Meta.Shard.Count)}
			return
		}
		tok, err := tokenizer.LoadFiles(r.TokenizerFiles, in.Recipe)
		if err != nil {
			err = fmt.Errorf("transplant: recipe: %w", err)
		}
		out <- loadedRecipe{r: r, tok: tok, err: err}
	}()
	return out
}

// openRecipe takes the recipe loadRecipe read and checks that it was made
// for the base's vocabulary.
func (s *Session) openRecipe(l loadedRecipe) error {
	if l.err != nil {
		return l.err
	}
	in, r := s.in, l.r
	if got := vocabularyFingerprint(s.oldTok); got != r.Meta.OldVocabulary {
		return fmt.Errorf("transplant: recipe %s: %w: the base %s has another vocabulary (%d ids) than the recipe's old tokenizer (%d ids)",
			in.Recipe, recipe.ErrMismatch, in.Base, got.Size, r.Meta.OldVocabulary.Size)
	}
	s.recipe, s.newTok, s.newFiles, s.newTokDir = r, l.tok, r.TokenizerFiles, in.Recipe
	s.alignment = &align.Alignment{Rows: len(r.Kind), Kind: r.Kind, Source: r.Source, Report: r.Meta.Alignment}
	s.targets, s.anchors = targetsAndAnchors(s.alignment, s.newTok)
	return nil
}

// RecipeBuilt returns the row maps of the recipe the session was opened
// with, checked against the base's tables, for Write. A map the recipe
// marks to redo (it depends on the values of the base it was made on) is
// made again on this base, with the recipe's method and parameters; a
// recipe that calibrates the head fits it to this base on
// calibrationText, which must be the text the recipe names
// (ErrCalibrationText when nil, recipe.ErrMismatch when another).
func (s *Session) RecipeBuilt(ctx context.Context, calibrationText []byte) (*Built, error) {
	r := s.recipe
	if r == nil {
		return nil, fmt.Errorf("transplant: the session has no recipe")
	}
	if len(r.Meta.Tables) != len(s.tables) {
		return nil, fmt.Errorf("transplant: recipe %s: %w: it builds %d tables, the base %s has %d (tied or not)",
			s.in.Recipe, recipe.ErrMismatch, len(r.Meta.Tables), s.in.Base, len(s.tables))
	}
	b := &Built{Seed: r.Meta.Seed}
	for i, t := range s.tables {
		rt := r.Meta.Tables[i]
		if rt.Role != t.Role || rt.Cols != t.width() {
			return nil, fmt.Errorf("transplant: recipe %s: %w: its %s is %d wide, the base's %s %d",
				s.in.Recipe, recipe.ErrMismatch, rt.Role, rt.Cols, t.Role, t.width())
		}
		bt := BuiltTable{Table: t, Method: rt.Method, Params: rt.Params, Map: r.Maps[i], Redo: rt.Redo}
		if rt.Redo {
			if err := s.redo(ctx, &bt, r.Meta.Seed); err != nil {
				return nil, err
			}
		}
		b.Tables = append(b.Tables, bt)
	}
	if r.Meta.Calibration != nil {
		if err := s.recalibrate(ctx, b, r.Meta.Calibration, calibrationText); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// redo makes bt's map again on this session's base.
func (s *Session) redo(ctx context.Context, bt *BuiltTable, seed uint64) error {
	s.cutTargets()
	m, err := DecodeMethod(bt.Method, bt.Params)
	if err != nil {
		return fmt.Errorf("transplant: recipe %s: %s: %w", s.in.Recipe, bt.Table.Role, err)
	}
	var buf scratch
	p, _, err := s.problem(bt.Table, s.targets, s.anchors, seed, &buf)
	if err != nil {
		return err
	}
	if bt.Map, err = m.Build(ctx, p); err != nil {
		return fmt.Errorf("transplant: %s: %s: %w", bt.Table.Role, m.Name(), err)
	}
	return nil
}

// paramsOf records a method's parameters as JSON.
func paramsOf(m heuristics.Method) (json.RawMessage, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("transplant: %s: parameters: %w", m.Name(), err)
	}
	return b, nil
}
