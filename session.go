package transplant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/cooc"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/recipe"
	"github.com/transplant-dev/transplant/tokenizer"
)

// Errors callers branch on, with errors.Is. Methods that need a donor and
// have none fail with heuristics.ErrNoDonor; a base whose architecture the
// checkpoint table lacks fails with checkpoint.ErrUnsupportedArchitecture.
var (
	// ErrVocabularyMismatch reports a donor that does not use the new
	// tokenizer: its rows are indexed by other ids.
	ErrVocabularyMismatch = errors.New("vocabularies differ")
)

// Inputs names what a transplant reads.
type Inputs struct {
	// Base is the model directory to transplant (or its weights file, with
	// config.json and tokenizer.json beside it).
	Base string
	// Tokenizer is the new tokenizer: a tokenizer.json (or .json.gz) or a
	// directory holding one. Empty means the donor's; with neither, the
	// base's own tokenizer (every token shared: what reconstruction needs).
	Tokenizer string
	// TokenizerFiles, when set, is the new tokenizer held in memory
	// (tokenizer.json and its companions by name), such as one just
	// extended; Tokenizer then only names it in reports.
	TokenizerFiles map[string][]byte
	// Donor is an optional model directory that already uses the new
	// tokenizer; knn and omp need one.
	Donor string
	// Map pairs old special tokens with new ones by spelling (see
	// align.Options.Map).
	Map map[string]string
	// PadToMultipleOf rounds the new row count up; 0 pads as the base was.
	PadToMultipleOf int
	// AuxText is a text whose co-occurrence statistics, under the new
	// tokenizer, give auxiliary vectors for its tokens (package cooc):
	// the donor table of methods that need one, when there is no donor
	// model. AuxSeed seeds their SVD.
	AuxText string
	AuxSeed uint64
	// Recipe is a recipe file (see package recipe) to apply to Base
	// instead of a tokenizer to align with: the new tokenizer, the
	// alignment and the row maps come from it. Tokenizer, Donor, Map and
	// PadToMultipleOf must then be empty.
	Recipe string
	// ChecksumCache is a directory where the checksums transplant.json
	// records of the input files are remembered between sessions, by each
	// file's path, size, inode and times, so an unchanged multi-gigabyte
	// checkpoint is hashed once; empty remembers none. Only Linux local
	// file systems are remembered (safefile.SumCache).
	ChecksumCache string
}

// A Session holds a transplant's inputs, open and checked, and the
// alignment of the two vocabularies: everything run, apply, eval and
// reconstruction share. Close releases its files.
type Session struct {
	in         Inputs
	base       *checkpoint.Model
	donor      *checkpoint.Model // nil without a donor
	oldTok     *tokenizer.Tokenizer
	newTok     *tokenizer.Tokenizer
	newTokDir  string            // where the new tokenizer's files are
	newFiles   map[string][]byte // and the files themselves
	recipe     *recipe.Recipe    // the recipe applied, if any
	aux        *cooc.Vectors     // auxiliary vectors, when Inputs.AuxText is set
	alignment  *align.Alignment
	targets    []heuristics.Target
	targetsCut bool // see cutTargets
	anchors    []heuristics.Anchor
	tables     []Table
}

// Open opens and checks the inputs, aligns the vocabularies and lists the
// tables to build. It holds files open until Close.
func Open(ctx context.Context, in Inputs) (_ *Session, err error) {
	s := &Session{in: in}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	var recipeLoaded <-chan loadedRecipe
	if in.Recipe != "" {
		recipeLoaded = s.loadRecipe()
	}
	if err := s.openBase(); err != nil {
		if recipeLoaded != nil {
			<-recipeLoaded
		}
		return nil, err
	}
	if recipeLoaded != nil {
		err = s.openRecipe(<-recipeLoaded)
	} else if err = s.openNewSide(); err == nil {
		err = s.align()
	}
	if err == nil && in.AuxText != "" {
		err = s.auxVectors(ctx)
	}
	if err != nil {
		return nil, err
	}
	if s.tables, err = s.listTables(); err != nil {
		return nil, err
	}
	return s, ctx.Err()
}

// Close releases the session's input files.
func (s *Session) Close() error {
	var errs []error
	if s.base != nil {
		errs = append(errs, s.base.Close())
	}
	if s.donor != nil {
		errs = append(errs, s.donor.Close())
	}
	return errors.Join(errs...)
}

// Inputs returns what the session was opened with.
func (s *Session) Inputs() Inputs { return s.in }

// OldTokenizer is the base model's tokenizer.
func (s *Session) OldTokenizer() *tokenizer.Tokenizer { return s.oldTok }

// NewTokenizer is the tokenizer the transplant moves the model onto.
func (s *Session) NewTokenizer() *tokenizer.Tokenizer { return s.newTok }

// NewTokenizerPath is where the new tokenizer was read from.
func (s *Session) NewTokenizerPath() string { return s.newTokDir }

// Alignment says where every row of the new tables comes from.
func (s *Session) Alignment() *align.Alignment { return s.alignment }

// HasDonor reports whether the session has a donor model.
func (s *Session) HasDonor() bool { return s.donor != nil }

func (s *Session) openBase() error {
	base, err := checkpoint.Open(s.in.Base)
	if err != nil {
		return fmt.Errorf("transplant: base: %w", err)
	}
	s.base = base
	if _, ok := base.Embedding(); !ok {
		return fmt.Errorf("transplant: base %s: %w %q: no input embedding known; known: %s",
			s.in.Base, checkpoint.ErrUnsupportedArchitecture, base.Config().ModelType(), knownArchitectures())
	}
	tok, err := tokenizer.Load(base.Dir())
	if err != nil {
		return fmt.Errorf("transplant: base %s: its tokenizer is needed to align vocabularies: %w", s.in.Base, err)
	}
	s.oldTok = tok
	return nil
}

func knownArchitectures() string {
	var names []string
	for _, a := range checkpoint.Architectures() {
		names = append(names, a.ModelType)
	}
	return strings.Join(names, ", ")
}

// openNewSide loads the donor and the new tokenizer, and checks that they
// agree: a donor's rows are indexed by its own tokenizer's ids, so that
// tokenizer must be the new one.
func (s *Session) openNewSide() error {
	if s.in.Donor != "" {
		donor, err := checkpoint.Open(s.in.Donor)
		if err != nil {
			return fmt.Errorf("transplant: donor: %w", err)
		}
		s.donor = donor
		if _, ok := donor.Embedding(); !ok {
			return fmt.Errorf("transplant: donor %s: %w %q: no input embedding known",
				s.in.Donor, checkpoint.ErrUnsupportedArchitecture, donor.Config().ModelType())
		}
	}
	path := s.in.Tokenizer
	switch {
	case s.in.TokenizerFiles != nil:
		return s.loadNewFiles(path)
	case path != "":
	case s.donor != nil:
		path = s.donor.Dir()
	default:
		path = s.base.Dir()
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return fmt.Errorf("transplant: new tokenizer: %w", err)
	}
	if s.newFiles, err = tokenizer.Files(path); err != nil {
		return fmt.Errorf("transplant: new tokenizer: %w", err)
	}
	s.newTok, s.newTokDir = tok, path
	if m := tok.Specials().Missing; len(m) > 0 {
		return fmt.Errorf("transplant: new tokenizer %s: its configuration names special tokens its vocabulary lacks (%s); transformers would add them with new ids, so fix tokenizer_config.json or special_tokens_map.json first",
			path, strings.Join(m, ", "))
	}
	if s.donor == nil {
		return nil
	}
	return s.checkDonor()
}

// auxVectors builds the auxiliary vectors of the new tokenizer's tokens
// from Inputs.AuxText.
func (s *Session) auxVectors(ctx context.Context) error {
	path := s.in.AuxText
	if s.in.Donor != "" {
		return fmt.Errorf("transplant: a donor model and an aux text both give a donor table: use one")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("transplant: aux text: %w", err)
	}
	defer f.Close()
	if err := s.setAux(ctx, f, s.in.AuxSeed); err != nil {
		return fmt.Errorf("transplant: aux text %s: %w", path, err)
	}
	return nil
}

// setAux makes the auxiliary vectors of the new tokens from text.
func (s *Session) setAux(ctx context.Context, text io.Reader, seed uint64) error {
	counts, err := cooc.Count(ctx, s.newTok, text, cooc.CountOptions{})
	if err != nil {
		return err
	}
	s.aux, err = counts.Vectors(ctx, cooc.VectorOptions{Seed: seed})
	return err
}

// HasDonorTable reports whether methods get a donor table: a donor
// model's, or auxiliary vectors.
func (s *Session) HasDonorTable() bool { return s.donor != nil || s.aux != nil }

// loadNewFiles takes the new tokenizer from Inputs.TokenizerFiles.
func (s *Session) loadNewFiles(name string) error {
	tok, err := tokenizer.LoadFiles(s.in.TokenizerFiles, name)
	if err != nil {
		return fmt.Errorf("transplant: new tokenizer: %w", err)
	}
	s.newTok, s.newTokDir, s.newFiles = tok, name, s.in.TokenizerFiles
	if s.donor != nil {
		return s.checkDonor()
	}
	return nil
}

// checkDonor refuses a donor whose own tokenizer is not the new one, or
// whose table is too short for the new ids. A donor directory without any
// tokenizer file is taken at its word when its rows suffice.
func (s *Session) checkDonor() error {
	if s.newTokDir != s.donor.Dir() && hasTokenizerFile(s.donor.Dir()) {
		dt, err := tokenizer.Load(s.donor.Dir())
		if err != nil {
			return fmt.Errorf("transplant: donor %s: %w", s.in.Donor, err)
		}
		if err := sameVocabulary(dt, s.newTok); err != nil {
			return fmt.Errorf("transplant: donor %s: its tokenizer is not the new tokenizer %s: %w", s.in.Donor, s.newTokDir, err)
		}
	}
	emb, _ := s.donor.Embedding()
	if emb.Shape[0] < s.newTok.VocabSize() {
		return fmt.Errorf("transplant: donor %s: embedding %q has %d rows, but the new tokenizer has %d ids: %w",
			s.in.Donor, emb.Name, emb.Shape[0], s.newTok.VocabSize(), ErrVocabularyMismatch)
	}
	return nil
}

func hasTokenizerFile(dir string) bool {
	for _, name := range []string{"tokenizer.json", "tokenizer.json.gz"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// sameVocabulary reports how a and b differ, wrapping ErrVocabularyMismatch.
func sameVocabulary(a, b *tokenizer.Tokenizer) error {
	if a.VocabSize() != b.VocabSize() {
		return fmt.Errorf("%w: %d ids against %d", ErrVocabularyMismatch, a.VocabSize(), b.VocabSize())
	}
	for id := range a.VocabSize() {
		sa, _ := a.TokenString(id)
		sb, _ := b.TokenString(id)
		if sa != sb {
			return fmt.Errorf("%w: id %d is %q against %q", ErrVocabularyMismatch, id, sa, sb)
		}
	}
	return nil
}

func (s *Session) align() error {
	emb, _ := s.base.Embedding()
	a, err := align.Align(align.FromTokenizer(s.oldTok), align.FromTokenizer(s.newTok), align.Options{
		OldRows:         emb.Shape[0],
		Map:             s.in.Map,
		PadToMultipleOf: s.in.PadToMultipleOf,
	})
	if err != nil {
		return fmt.Errorf("transplant: %w", err)
	}
	s.alignment = a
	s.targets, s.anchors = targetsAndAnchors(a, s.newTok)
	s.cutTargets()
	return nil
}

// targetsAndAnchors lists the rows a method builds and the shared tokens it
// may draw on, the targets not yet cut into pieces (see cutTargets).
func targetsAndAnchors(a *align.Alignment, newTok *tokenizer.Tokenizer) ([]heuristics.Target, []heuristics.Anchor) {
	var targets []heuristics.Target
	var anchors []heuristics.Anchor
	for id, k := range a.Kind {
		switch k {
		case align.Exact, align.ByBytes:
			anchors = append(anchors, heuristics.Anchor{Old: a.Source[id], New: id})
		case align.New, align.NewSpecial:
			targets = append(targets, heuristics.Target{NewID: id, Bytes: len(newTok.Surface(id).Bytes)})
		}
	}
	return targets, anchors
}

// cutTargets cuts ordinary new tokens into old pieces, once; new special
// tokens get no pieces (their spelling is markup, not text), so that
// subword methods fall back to the mean while donor methods still place
// them. Only building and calibrating rows need the pieces, and cutting
// 150,000 tokens takes a tenth of a second: applying a recipe that does
// neither goes without.
func (s *Session) cutTargets() {
	if s.targetsCut {
		return
	}
	for i := range s.targets {
		t := &s.targets[i]
		if s.alignment.Kind[t.NewID] == align.New {
			t.Pieces = piecesOf(s.oldTok, s.oldTok.EncodeSurface(s.newTok.Surface(t.NewID).Bytes))
		}
	}
	s.targetsCut = true
}

// piecesOf describes old ids as pieces with their byte lengths.
func piecesOf(oldTok *tokenizer.Tokenizer, ids []int) []heuristics.Piece {
	var pieces []heuristics.Piece
	for _, p := range ids {
		pieces = append(pieces, heuristics.Piece{ID: p, Bytes: len(oldTok.Surface(p).Bytes)})
	}
	return pieces
}
