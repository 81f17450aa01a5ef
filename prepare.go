package transplant

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/tokenizer"
)

// A Job is a prepared transplant: inputs open and checked, vocabularies
// aligned, the work planned. Run carries it out; Close releases the inputs.
type Job struct {
	opts      Options
	base      *checkpoint.Model
	donor     *checkpoint.Model // nil without a donor
	oldTok    *tokenizer.Tokenizer
	newTok    *tokenizer.Tokenizer
	newTokDir string // where the new tokenizer's files are
	alignment *align.Alignment
	targets   []heuristics.Target
	anchors   []heuristics.Anchor
	tables    []table
	explain   map[int]bool // new ids to explain
	plan      Plan
}

// A table is one tensor the job builds anew.
type table struct {
	name       string // tensor in the base
	donorName  string // the donor's matching tensor, "" without a donor
	biasName   string // the head's bias, built with it; "" when none
	output     bool
	method     heuristics.Method
	baseRows   int
	cols       int
	donorRows  int
	donorCols  int
	realRows   int // base rows that belong to tokens (the rest is padding)
	stageLabel string
}

// Prepare opens and checks the inputs and plans the transplant. The job
// holds files open until Close.
func Prepare(ctx context.Context, opts Options) (_ *Job, err error) {
	if opts.Input == nil {
		return nil, errors.New("transplant: no method given")
	}
	j := &Job{opts: opts}
	defer func() {
		if err != nil {
			j.Close()
		}
	}()
	if err := j.openBase(); err != nil {
		return nil, err
	}
	if err := j.openNewSide(); err != nil {
		return nil, err
	}
	if err := j.align(); err != nil {
		return nil, err
	}
	if err := j.planTables(); err != nil {
		return nil, err
	}
	ids, err := j.resolveTokens(opts.Explain)
	if err != nil {
		return nil, err
	}
	j.explain = map[int]bool{}
	for _, id := range ids {
		j.explain[id] = true
	}
	if j.plan, err = j.makePlan(); err != nil {
		return nil, err
	}
	return j, ctx.Err()
}

// Close releases the job's input files.
func (j *Job) Close() error {
	var errs []error
	if j.base != nil {
		errs = append(errs, j.base.Close())
	}
	if j.donor != nil {
		errs = append(errs, j.donor.Close())
	}
	return errors.Join(errs...)
}

func (j *Job) openBase() error {
	base, err := checkpoint.Open(j.opts.Base)
	if err != nil {
		return fmt.Errorf("transplant: base: %w", err)
	}
	j.base = base
	if _, ok := base.Embedding(); !ok {
		return fmt.Errorf("transplant: base %s: no input embedding found (unknown architecture %q); known: %s",
			j.opts.Base, base.Config().ModelType(), knownArchitectures())
	}
	tok, err := tokenizer.Load(base.Dir())
	if err != nil {
		return fmt.Errorf("transplant: base %s: its tokenizer is needed to align vocabularies: %w", j.opts.Base, err)
	}
	j.oldTok = tok
	return nil
}

func knownArchitectures() string {
	s := ""
	for i, a := range checkpoint.Architectures() {
		if i > 0 {
			s += ", "
		}
		s += a.ModelType
	}
	return s
}

// openNewSide loads the new tokenizer and the donor, and checks that they
// agree: a donor's rows are indexed by its own tokenizer's ids, so that
// tokenizer must be the new one.
func (j *Job) openNewSide() error {
	if j.opts.Donor != "" {
		donor, err := checkpoint.Open(j.opts.Donor)
		if err != nil {
			return fmt.Errorf("transplant: donor: %w", err)
		}
		j.donor = donor
		if _, ok := donor.Embedding(); !ok {
			return fmt.Errorf("transplant: donor %s: no input embedding found (unknown architecture %q)", j.opts.Donor, donor.Config().ModelType())
		}
	}
	path := j.opts.Tokenizer
	if path == "" {
		if j.donor == nil {
			return errors.New("transplant: no new tokenizer: give --tokenizer, or a --donor whose tokenizer to use")
		}
		path = j.donor.Dir()
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return fmt.Errorf("transplant: new tokenizer: %w", err)
	}
	j.newTok, j.newTokDir = tok, path
	if m := tok.Specials().Missing; len(m) > 0 {
		return fmt.Errorf("transplant: new tokenizer %s: its configuration names special tokens its vocabulary lacks (%s); transformers would add them with new ids, so fix tokenizer_config.json or special_tokens_map.json first",
			path, strings.Join(m, ", "))
	}
	if j.donor == nil {
		return nil
	}
	return j.checkDonor()
}

func (j *Job) checkDonor() error {
	if dt, err := tokenizer.Load(j.donor.Dir()); err == nil {
		if err := sameVocabulary(dt, j.newTok); err != nil {
			return fmt.Errorf("transplant: donor %s: its tokenizer is not the new tokenizer: %w", j.opts.Donor, err)
		}
	}
	emb, _ := j.donor.Embedding()
	if emb.Shape[0] < j.newTok.VocabSize() {
		return fmt.Errorf("transplant: donor %s: embedding %q has %d rows, but the new tokenizer has %d ids: the donor does not use this tokenizer",
			j.opts.Donor, emb.Name, emb.Shape[0], j.newTok.VocabSize())
	}
	return nil
}

func sameVocabulary(a, b *tokenizer.Tokenizer) error {
	if a.VocabSize() != b.VocabSize() {
		return fmt.Errorf("%d ids against %d", a.VocabSize(), b.VocabSize())
	}
	for id := 0; id < a.VocabSize(); id++ {
		sa, _ := a.TokenString(id)
		sb, _ := b.TokenString(id)
		if sa != sb {
			return fmt.Errorf("id %d is %q against %q", id, sa, sb)
		}
	}
	return nil
}

// needsDonor reports whether a method can only run with a donor.
func needsDonor(m heuristics.Method) bool {
	d, ok := m.(interface{ NeedsDonor() bool })
	return ok && d.NeedsDonor()
}
