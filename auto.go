package transplant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/cooc"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// AutoOptions tune Session.Auto.
type AutoOptions struct {
	// Text is what candidates are scored on, in the project's protocol
	// (bits per byte, the base's body with each candidate's tables); nil
	// chooses by rule. Keep it apart from any text the result is judged
	// on.
	Text []byte
	// TextName names the text in the report.
	TextName string
	// MaxBytes caps how much of Text is scored; 0 means DefaultAutoBytes.
	MaxBytes int
	// Params are the candidates' knobs.
	Params MethodParams
	// Calibration tunes calibrated candidates; its TextName is TextName.
	Calibration CalibrationOptions
	Seed        uint64
	// Progress hears about each candidate's scoring.
	Progress func(stage string, done, total int64)
}

// DefaultAutoBytes is how much text Auto scores each candidate on: enough
// for differences of a few thousandths of a bit per byte to stand out of
// the noise, little enough to score a dozen candidates in minutes.
const DefaultAutoBytes = 64 << 10

// AutoReport says what Auto chose for each table, and why.
type AutoReport struct {
	Input string `json:"input"`
	Head  string `json:"head"`
	// Rule explains a choice made without measuring.
	Rule string `json:"rule,omitempty"`
	// Text and Bytes say what the candidates were scored on.
	Text  string `json:"text,omitempty"`
	Bytes int    `json:"bytes,omitempty"`
	// AuxBytes is the part of the text before the scored part that gave
	// the new tokens auxiliary vectors, when there was no donor table.
	AuxBytes int `json:"aux_bytes,omitempty"`
	// FitBytes is the part of the text before the scored part that
	// methods learning from the text (auxiliary vectors, calibration)
	// learned from.
	FitBytes int `json:"fit_bytes,omitempty"`
	// CalibrateHead says the head rows are fitted to the base model on the
	// whole text (Session.Calibrate); candidates marked so were fitted on
	// the part before the scored one. Calibration says why none was tried.
	CalibrateHead bool            `json:"calibrate_head,omitempty"`
	Calibration   string          `json:"calibration,omitempty"`
	Candidates    []AutoCandidate `json:"candidates,omitempty"`
}

// AutoCandidate is one pair of methods Auto scored.
type AutoCandidate struct {
	Input         string  `json:"input"`
	Head          string  `json:"head"`
	CalibrateHead bool    `json:"calibrate_head,omitempty"`
	BitsPerByte   float64 `json:"bits_per_byte"`
}

func candidate(c Choice, bpb float64) AutoCandidate {
	return AutoCandidate{label(c.Input, heuristics.InputEmbedding), label(c.Output, heuristics.OutputHead), c.CalibrateHead, bpb}
}

// autoCandidates are the methods Auto weighs for each table, the rule's
// choice first. Without a donor table: the last piece for the input (the
// piece after which the model has read the whole token) and the mean for
// the head (rows that steal no probability from shared tokens). With one:
// knn for both, which measured best on the shared models on every text
// tried (bench/quality). An even blend of the last piece and the
// neighbours joins the inputs: on the shared models it beat either alone
// and the 0.7/0.3 blend on both texts tried.
func autoCandidates(p MethodParams, donorTable bool) (input, head []heuristics.Method) {
	last := heuristics.Subword{Input: heuristics.CombineLast, Output: heuristics.CombineFirst}
	mean := heuristics.Mean{}
	if !donorTable {
		return []heuristics.Method{last, mean}, []heuristics.Method{mean}
	}
	knn, _ := newKNN(p)
	blend := heuristics.Blend{First: last, Second: knn, Weight: 0.5}
	return []heuristics.Method{knn, last, mean, blend}, []heuristics.Method{knn, mean}
}

// PlanAuto is the plan of the costliest choice Auto may make, worked out
// without scoring any candidate: what to reserve for a run whose methods
// Auto will choose. calibrationBytes is the length of the text Auto would
// score on and calibrate with, 0 when there is none; without a donor table
// Auto makes auxiliary vectors of it (cooc.DefaultDims wide), which the
// candidates' plans count.
func (s *Session) PlanAuto(p MethodParams, calibrationBytes int, dtype safetensors.Dtype) (Plan, error) {
	aux := s.auxTableShape()
	if aux == nil && s.donor == nil && calibrationBytes > 0 {
		aux = &auxShape{rows: s.newTok.VocabSize(), cols: cooc.DefaultDims}
	}
	inputs, heads := autoCandidates(p, s.donor != nil || aux != nil)
	var worst Plan
	for _, in := range inputs {
		for _, h := range heads {
			c := Choice{Input: in, Output: h, CalibrateHead: calibrationBytes > 0, CalibrationBytes: calibrationBytes}
			plan, err := s.plan(c, dtype, aux)
			if err != nil {
				return Plan{}, err
			}
			if plan.MemoryBytes > worst.MemoryBytes {
				worst = plan
			}
		}
	}
	worst.Auto = true
	worst.Forward = s.autoWork(calibrationBytes, len(inputs), len(heads))
	return worst, nil
}

// Auto chooses a method for each table. With a text it scores candidates
// on its last quarter — every head with the rule's input, then every input
// with the best head, then the heads calibrated (Session.Calibrate) on the
// first three quarters — and keeps the choice with the fewest bits per
// byte, the rule's on a tie; without one it takes the rule's. The report
// says which and why.
func (s *Session) Auto(ctx context.Context, o AutoOptions) (Choice, *AutoReport, error) {
	inputs, heads := autoCandidates(o.Params, s.HasDonorTable())
	c := Choice{Input: inputs[0], Output: heads[0]}
	rep := &AutoReport{}
	if o.Text == nil {
		rep.Rule = "no calibration text to score candidates on: "
		if s.HasDonorTable() {
			rep.Rule += "with a donor table, knn for both tables"
		} else {
			rep.Rule += "without a donor table, the last piece for the input embedding and the mean for the head"
		}
		rep.Input, rep.Head = label(inputs[0], heuristics.InputEmbedding), label(heads[0], heuristics.OutputHead)
		return c, rep, nil
	}
	// Methods that learn from the text (auxiliary vectors, calibration)
	// learn from its first three quarters; candidates are scored on the
	// rest, which none of them saw.
	fit, text := splitAtLine(o.Text, len(o.Text)*3/4)
	rep.FitBytes = len(fit)
	if !s.HasDonorTable() {
		if err := s.setAux(ctx, bytes.NewReader(fit), o.Seed); err == nil {
			rep.AuxBytes = len(fit)
			inputs, heads = autoCandidates(o.Params, s.HasDonorTable())
			c = Choice{Input: inputs[0], Output: heads[0]}
		} else if !errors.Is(err, cooc.ErrNoCooccurrence) {
			return Choice{}, nil, fmt.Errorf("transplant: auto: aux vectors of %s: %w", o.TextName, err)
		}
	}
	text = prefixAtLine(text, or(o.MaxBytes, DefaultAutoBytes))
	rep.Text, rep.Bytes = o.TextName, len(text)
	sc := &autoScorer{s: s, o: o, text: text, maps: map[string]*heuristics.Map{}}
	best, err := sc.score(ctx, c)
	if err != nil {
		return Choice{}, nil, err
	}
	rep.Candidates = append(rep.Candidates, candidate(c, best))
	tried := map[autoKey]bool{keyOf(c): true}
	try := func(cand Choice) error {
		k := keyOf(cand)
		if tried[k] {
			return nil
		}
		tried[k] = true
		bpb, err := sc.score(ctx, cand)
		if err != nil {
			return err
		}
		rep.Candidates = append(rep.Candidates, candidate(cand, bpb))
		if bpb < best {
			best, c = bpb, cand
		}
		return nil
	}
	// The mean for both tables is always weighed: what auto keeps is then
	// never worse than it on the text it scores.
	if err := try(Choice{Input: heuristics.Mean{}, Output: heuristics.Mean{}}); err != nil {
		return Choice{}, nil, err
	}
	for _, h := range heads[1:] {
		if err := try(Choice{Input: c.Input, Output: h}); err != nil {
			return Choice{}, nil, err
		}
	}
	for _, in := range inputs[1:] {
		if err := try(Choice{Input: in, Output: c.Output}); err != nil {
			return Choice{}, nil, err
		}
	}
	switch err := sc.calibrate(ctx, fit); {
	case errors.Is(err, ErrNoHeadToCalibrate), errors.Is(err, ErrNothingToCalibrate):
		rep.Calibration = err.Error()
	case err != nil:
		return Choice{}, nil, err
	default:
		for _, h := range append(slices.Clone(heads), heuristics.Mean{}) {
			if err := try(Choice{Input: c.Input, Output: h, CalibrateHead: true}); err != nil {
				return Choice{}, nil, err
			}
		}
	}
	rep.Input, rep.Head = label(c.Input, heuristics.InputEmbedding), label(c.Output, heuristics.OutputHead)
	rep.CalibrateHead = c.CalibrateHead
	sort.SliceStable(rep.Candidates, func(a, b int) bool { return rep.Candidates[a].BitsPerByte < rep.Candidates[b].BitsPerByte })
	return c, rep, nil
}

// autoTries is how many candidates Auto scores at most, weighing the given
// numbers of input and head methods: the rule's choice, the mean for both
// tables, the other heads, the other inputs, and every head and the mean
// calibrated. Keep it in step with Auto.
func autoTries(inputs, heads int) int { return 1 + 1 + (heads - 1) + (inputs - 1) + heads + 1 }

// label names a method as a report shows it, with the combination a
// subword method uses for the table of role r.
func label(m heuristics.Method, r heuristics.Role) string {
	switch m := m.(type) {
	case heuristics.Subword:
		return fmt.Sprintf("subword (%s)", m.For(r))
	case heuristics.Blend:
		return fmt.Sprintf("%g %s + %g %s", 1-m.Weight, label(m.First, r), m.Weight, label(m.Second, r))
	}
	return m.Name()
}

// autoKey tells candidates apart.
type autoKey struct {
	input, head string
	calibrated  bool
}

func keyOf(c Choice) autoKey { return autoKey{c.Input.Name(), c.Output.Name(), c.CalibrateHead} }

// autoScorer scores choices, building each table's map once per method.
type autoScorer struct {
	s    *Session
	o    AutoOptions
	text []byte
	maps map[string]*heuristics.Map // by role and method
	cal  *Calibration               // nil until calibrate
}

// calibrate reads the fitting part of the text with the base, for
// calibrated candidates. A model with no head of its own to fit, or a text
// without new tokens, is not an error: auto then tries none.
func (a *autoScorer) calibrate(ctx context.Context, fit []byte) error {
	o := a.o.Calibration
	o.TextName = a.o.TextName
	cal, err := a.s.Calibrate(ctx, fit, o)
	if err != nil {
		return fmt.Errorf("transplant: auto: %w", err)
	}
	a.cal = cal
	return nil
}

// score returns the bits per byte of the base's body with the tables c
// builds, on the scorer's text.
func (a *autoScorer) score(ctx context.Context, c Choice) (float64, error) {
	s := a.s
	var buf scratch
	model, _, err := s.builtModel(ctx, func(t Table) (*heuristics.Map, error) { return a.tableMap(ctx, c, t, &buf) })
	if err != nil {
		return 0, fmt.Errorf("transplant: auto: %w", err)
	}
	stage := "auto: " + c.Input.Name() + "/" + c.Output.Name()
	if c.CalibrateHead {
		stage += " calibrated"
	}
	opts := eval.Options{}
	if a.o.Progress != nil {
		opts.Progress = func(done, total int) { a.o.Progress(stage, int64(done), int64(total)) }
	}
	bos := model.Config().BOS
	if bos < 0 {
		bos = s.newTok.Specials().BOS
	}
	res, err := eval.BitsPerByte(ctx, model, a.text, func(chunks []string) [][]int { return s.newTok.EncodeBatch(chunks, false) }, bos, opts)
	if err != nil {
		return 0, fmt.Errorf("transplant: auto: scoring: %w", err)
	}
	bpb := res.BitsPerByte()
	if math.IsNaN(bpb) {
		return math.Inf(1), nil
	}
	return bpb, nil
}

// tableMap is the map c makes for table t, built once per method (and
// once more when calibrated).
func (a *autoScorer) tableMap(ctx context.Context, c Choice, t Table, buf *scratch) (*heuristics.Map, error) {
	m := a.s.withAuxFallback(c.For(t.Role))
	key := t.Role.String() + "/" + m.Name()
	calibrated := c.CalibrateHead && t.Role == heuristics.OutputHead
	if rm, ok := a.maps[key+"/calibrated"]; ok && calibrated {
		return rm, nil
	}
	rm, ok := a.maps[key]
	if !ok {
		p, _, err := a.s.problem(t, a.s.targets, a.s.anchors, a.o.Seed, buf)
		if err != nil {
			return nil, err
		}
		if rm, err = m.Build(ctx, p); err != nil {
			return nil, fmt.Errorf("transplant: auto: %s: %s: %w", t.Role, m.Name(), err)
		}
		a.maps[key] = rm
	}
	if !calibrated {
		return rm, nil
	}
	rm, _, err := a.cal.Fit(ctx, rm)
	if err != nil {
		return nil, fmt.Errorf("transplant: auto: %w", err)
	}
	a.maps[key+"/calibrated"] = rm
	return rm, nil
}

// builtModel is the base's body with the tables the maps mapOf gives for
// each table build, in memory, and those tables by tensor name.
func (s *Session) builtModel(ctx context.Context, mapOf func(Table) (*heuristics.Map, error)) (*forward.Model, map[string]blas32.General, error) {
	tables := map[string]blas32.General{}
	var buf scratch
	for _, t := range s.tables {
		rm, err := mapOf(t)
		if err != nil {
			return nil, nil, err
		}
		base, err := s.readBase(t, &buf)
		if err != nil {
			return nil, nil, err
		}
		fresh, err := s.assemble(ctx, t, rm, base)
		if err != nil {
			return nil, nil, err
		}
		if t.Bias == "" {
			tables[t.Tensor] = fresh
			continue
		}
		w, bias := splitBias(fresh)
		tables[t.Tensor], tables[t.Bias] = compact(w), compact(bias)
	}
	model, err := s.forwardModel(tables)
	return model, tables, err
}

// forwardModel is the base's body with the given new tables, in memory,
// as transformers would load the written directory.
func (s *Session) forwardModel(tables map[string]blas32.General) (*forward.Model, error) {
	cfg, err := s.newConfig()
	if err != nil {
		return nil, err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	fc, err := forward.ParseConfig(data)
	if err != nil {
		return nil, err
	}
	fc.TieEmbeddings = s.base.Tied()
	return forward.New(fc, overlay{s.base, tables})
}

// overlay reads tensors from a checkpoint, some replaced by new tables.
type overlay struct {
	base   forward.Source
	tables map[string]blas32.General
}

func (o overlay) Float32(name string) ([]float32, []int, error) {
	t, ok := o.tables[name]
	switch {
	case !ok:
		return o.base.Float32(name)
	case t.Cols == 1:
		return t.Data[:t.Rows], []int{t.Rows}, nil // a bias
	}
	return t.Data[:t.Rows*t.Cols], []int{t.Rows, t.Cols}, nil
}

// compact copies m into a table whose stride is its width.
func compact(m blas32.General) blas32.General {
	out := newTable(m.Rows, m.Cols)
	for i := range m.Rows {
		copy(rowOf(out, i), rowOf(m, i))
	}
	return out
}

// splitAtLine cuts text after the line break nearest n.
func splitAtLine(text []byte, n int) (head, tail []byte) {
	head = prefixAtLine(text, n)
	return head, text[len(head):]
}

// prefixAtLine returns at most n bytes of text, cut after a line break.
func prefixAtLine(text []byte, n int) []byte {
	if len(text) <= n {
		return text
	}
	for i := n; i > n/2; i-- {
		if text[i-1] == '\n' {
			return text[:i]
		}
	}
	return text[:n]
}
