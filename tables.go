package transplant

import (
	"fmt"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/tokenizer"
)

func (j *Job) align() error {
	emb, _ := j.base.Embedding()
	a, err := align.Align(align.FromTokenizer(j.oldTok), align.FromTokenizer(j.newTok), align.Options{
		OldRows:         emb.Shape[0],
		Map:             j.opts.Map,
		PadToMultipleOf: j.opts.PadToMultipleOf,
	})
	if err != nil {
		return fmt.Errorf("transplant: %w", err)
	}
	j.alignment = a
	j.targets, j.anchors = targetsAndAnchors(a, j.oldTok, j.newTok)
	return nil
}

// targetsAndAnchors lists the rows a method builds and the shared tokens it
// may draw on. Ordinary new tokens are cut into old pieces; new special
// tokens get no pieces (their spelling is markup, not text), so that
// subword methods fall back to the mean while donor methods still place them.
func targetsAndAnchors(a *align.Alignment, oldTok, newTok *tokenizer.Tokenizer) ([]heuristics.Target, []heuristics.Anchor) {
	var targets []heuristics.Target
	var anchors []heuristics.Anchor
	for id, k := range a.Kind {
		switch k {
		case align.Exact, align.ByBytes:
			anchors = append(anchors, heuristics.Anchor{Old: a.Source[id], New: id})
		case align.New:
			b := newTok.Surface(id).Bytes
			t := heuristics.Target{NewID: id, Bytes: len(b)}
			for _, p := range oldTok.EncodeSurface(b) {
				t.Pieces = append(t.Pieces, heuristics.Piece{ID: p, Bytes: len(oldTok.Surface(p).Bytes)})
			}
			targets = append(targets, t)
		case align.NewSpecial:
			targets = append(targets, heuristics.Target{NewID: id, Bytes: len(newTok.Surface(id).Bytes)})
		}
	}
	return targets, anchors
}

// planTables decides which tensors to build and checks that the methods
// have what they need.
func (j *Job) planTables() error {
	emb, _ := j.base.Embedding()
	in := table{name: emb.Name, method: j.opts.Input, baseRows: emb.Shape[0], cols: emb.Shape[1], stageLabel: "input embedding"}
	tabs := []table{in}
	if !j.base.Tied() {
		head, ok := j.base.Head()
		if !ok {
			return fmt.Errorf("transplant: base %s: untied model without an output head tensor", j.opts.Base)
		}
		if head.Shape[0] != emb.Shape[0] {
			return fmt.Errorf("transplant: base %s: head %q has %d rows, embedding %q %d: cannot align both",
				j.opts.Base, head.Name, head.Shape[0], emb.Name, emb.Shape[0])
		}
		out := table{name: head.Name, method: j.opts.outputMethod(), output: true, baseRows: head.Shape[0], cols: head.Shape[1], stageLabel: "output head"}
		if arch, ok := j.base.Architecture(); ok && arch.HeadBias != "" {
			if _, ok := j.base.Tensor(arch.HeadBias); ok {
				out.biasName = arch.HeadBias
			}
		}
		tabs = append(tabs, out)
	}
	for i := range tabs {
		t := &tabs[i]
		t.realRows = min(t.baseRows, j.oldTok.VocabSize())
		if err := j.planDonor(t); err != nil {
			return err
		}
	}
	j.tables = tabs
	return nil
}

// planDonor picks the donor table matching t: the donor's embedding for the
// input side, its head (or its embedding when tied) for the output side.
func (j *Job) planDonor(t *table) error {
	if j.donor == nil {
		if needsDonor(t.method) {
			return fmt.Errorf("transplant: %s: method %s needs a donor model (--donor)", t.stageLabel, t.method.Name())
		}
		return nil
	}
	d, _ := j.donor.Embedding()
	if t.output && !j.donor.Tied() {
		if h, ok := j.donor.Head(); ok {
			d = h
		}
	}
	t.donorName, t.donorRows, t.donorCols = d.Name, d.Shape[0], d.Shape[1]
	return nil
}
