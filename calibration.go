package transplant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/recipe"
)

// Sentinel errors of head calibration.
var (
	// ErrNothingToCalibrate reports a calibration text in which no new
	// token occurs whole: no head row can be fitted.
	ErrNothingToCalibrate = errors.New("no new token to calibrate on")
	// ErrNoHeadToCalibrate reports a model whose head is its input
	// embedding (tied) or whose logits are not linear in the head rows.
	ErrNoHeadToCalibrate = errors.New("no head rows to calibrate")
	// ErrCalibrationText reports a calibration without its text.
	ErrCalibrationText = errors.New("calibration text missing")
	// ErrNoDonorModel reports a calibration to a donor without one.
	ErrNoDonorModel = errors.New("no donor model")
)

// CalibrationOptions tune Session.CalibrateHead. The zero value is the
// measured default.
type CalibrationOptions struct {
	// TextName names the text in the report.
	TextName string
	// MaxOccurrences caps the contexts one token is fitted on; 0 means
	// DefaultMaxOccurrences, or ExtensionMaxOccurrences when extending
	// (see Session.extending).
	MaxOccurrences int
	// StayContexts is how many contexts, spread evenly over the text,
	// hold every fitted logit where the prior put it; 0 means 256.
	StayContexts int
	// Ridge is λ as a multiple of the mean squared norm of the stay
	// contexts; 0 means DefaultCalibrationRidge, or
	// DefaultExtensionRidge when extending.
	Ridge float64
	// Window is the length of the windows the base reads the text in; 0
	// means the base's context, at most 256.
	Window int
	// MaxBytes caps how much of the text the base reads (cut after a line
	// break); 0 means DefaultCalibrationBytes.
	MaxBytes int
	// Donor fits the rows to the donor model as well: at positions all
	// over the text (every one, or every few; see donorStride), not only
	// where a token occurs, its logit should give it the donor's
	// probability (see donorReader). Needs a donor model the
	// forward pass runs.
	Donor bool `json:",omitempty"`
	// KeepShared leaves the head rows of shared tokens as the base has
	// them. By default, without Donor, those that new tokens begin or go
	// on with are fitted again, so that they stop counting the new tokens'
	// probability as their own (see sharedRows). On the shared models it
	// gains on every text tried, onto GPT-2's tokenizer with a donor
	// (dev text 1.1013 → 1.0974 of the base's bits per byte, Go doc
	// comments 1.0124 → 1.0115, licenses 1.0915 → 1.0883) and without
	// one (1.1048 → 1.1009, 1.0166 → 1.0156, 1.0977 → 1.0946), onto
	// Llama 3's (1.0964 → 1.0906, 1.0095 → 1.0071, 0.9952 → 0.9933),
	// and extended by 2,000 tokens (held-out text 1.0187 → 1.0154).
	KeepShared bool `json:",omitempty"`
	// BaseOnly fits the rows to the base alone, the recut ones to its
	// projection, so that the donor need not read the text. By default, with a
	// donor model whose forward pass runs, each new row is the mean of its
	// fit to the base and its fit to the donor (as Donor fits it), and the
	// shared rows new tokens begin with move half as far: the donor knows
	// the text of the calibration text's kind, the base every other. On
	// the shared models (A onto GPT-2's tokenizer with donor B, auto) the
	// mean against the base alone scores 1.0469 against 1.0561 of A's bits
	// per byte on the dev text, 1.0102 against 1.0101 on Go doc comments,
	// 1.0091 against 1.0076 on licenses and 1.0197 against 1.0195 on
	// Python docs; the donor alone 1.0434, 1.0132, 1.0135 and 1.0225.
	BaseOnly bool `json:",omitempty"`
	// KeepRecut leaves the head rows of the shared tokens the new
	// tokenizer puts where the base's cuts the bytes otherwise as the base
	// has them. By default those the text mostly recuts are fitted to the
	// base's probability of the old tokens the new tokenizer begins with
	// them (see recutProjection) and, with a donor model, as the new rows
	// are, half to the donor (see recutRow and fitRecutRows), which costs
	// a pass of the donor over the text.
	KeepRecut bool `json:",omitempty"`
	// KeepUnseen leaves the head rows of new tokens the text lacks as
	// their prior made them. By default they are lowered together until
	// they take the probability Good–Turing's estimate gives unseen
	// tokens (see lowerUnseen).
	KeepUnseen bool `json:",omitempty"`
	// KeepSpaceSplits leaves the head as it is where the new tokenizer
	// gives a word's leading space to the token before it. By default the
	// rows of tokens without a leading space are made to score, right
	// after such a token, what the base gives them with it (see
	// fitSpaceSplits).
	KeepSpaceSplits bool `json:",omitempty"`
	// KeepContinuations leaves the head as it is after a shared token that
	// the new tokenizer begins words with that the base reads whole. By
	// default the rows of the pieces that go on from it are raised there
	// as far as the base's vocabulary says they are likely (see
	// fitContinuations).
	KeepContinuations bool `json:",omitempty"`
	// Progress, when set, hears about the windows the base has read and,
	// extending, the passes that refine the new tokens' input rows.
	Progress func(stage string, done, total int64) `json:"-"`
	// recutOccurrences lets tests choose recut rows on short texts.
	recutOccurrences int
}

// DefaultCalibrationRidge is λ relative to ‖h‖²: on the shared models
// (bench/quality) 0.3 and 3 scored within 0.001 of each other on every
// text, both well ahead of the prior; the larger keeps rows seen once
// closer to their prior.
const DefaultCalibrationRidge = 3.0

// DefaultExtensionRidge is λ when the new vocabulary extends the old one.
// An extension's rows are fitted on the contexts where their first piece
// stands alone as well (see firstPieces), which tell them apart from their
// prior far better than stay contexts do, and its calibration text is
// usually the corpus its tokens were learned on, so that every row has
// samples. Extending the shared model A by 2,000 tokens learned on its
// calibration text, these settings (with 512 contexts per row, and
// occurrences weighed equally with first-piece contexts) against the
// swap's (128, λ = 3, no first-piece contexts) score 1.0107 against 1.0154
// of A's bits per byte on held-out text, and gain a little on three texts
// of other domains (1.0026/1.0030/1.0031 → 1.0025/1.0028/1.0029). Without
// first-piece contexts λ = 0.3 alone gave 1.0129; with them λ = 3 gave
// 1.0130 and 0.1 gave 1.0109.
const DefaultExtensionRidge = 0.3

// defaultDonorWeight is the share of each new row fitted to the donor
// when calibration blends the two fits (see CalibrationOptions.BaseOnly).
const defaultDonorWeight = 0.5

// DefaultCalibrationBytes is how much text calibration reads by default:
// a forward pass of the base over it is the cost (about 30 s for 1 MB on
// the 14M-parameter shared models with 2 cores; hours for 7B models, so
// give those less), and rows seen once already gain.
const DefaultCalibrationBytes = 1 << 20

// The contexts one token is fitted on at most (CalibrationOptions), taken
// evenly over the text (see spread): more when extending, where a new
// token's first piece standing alone gives it contexts too.
const (
	DefaultMaxOccurrences   = 128
	ExtensionMaxOccurrences = 512
)

// CalibrationReport says what CalibrateHead fitted.
type CalibrationReport struct {
	Text  string `json:"text,omitempty"`
	Bytes int    `json:"bytes"`
	// Tokens counts the new tokenizer's tokens in the text; Occurrences
	// the new tokens among them the base read whole in one window.
	Tokens      int `json:"tokens"`
	Occurrences int `json:"occurrences"`
	// Fitted new tokens got a head row fitted to the base (those the text
	// holds, and without a donor those that begin with the same two
	// pieces as one it holds, see firstPieces); Kept ones kept their prior
	// row.
	Fitted int `json:"fitted"`
	// DonorContexts counts the positions the donor gave samples at
	// (every one, or every few: see donorStride), when it was read.
	DonorContexts int `json:"donor_contexts,omitempty"`
	// Shared counts the head rows of shared tokens fitted again because
	// new tokens begin or go on with them (see
	// CalibrationOptions.KeepShared).
	Shared int `json:"shared,omitempty"`
	// Recut counts the head rows of shared tokens fitted to the donor, or
	// without one to the base's projection, because the text mostly puts
	// them where the base cuts otherwise (see CalibrationOptions.KeepRecut).
	Recut int `json:"recut,omitempty"`
	// FirstPieceContexts counts the samples new tokens got where their
	// first piece stands alone (without a donor's fit; in a transplant only
	// tokens that begin with the same two pieces as one the text holds,
	// see firstPieces).
	FirstPieceContexts int `json:"first_piece_contexts,omitempty"`
	// Context counts the input rows of new tokens taken from the base's
	// first layer (extensions only, see contextRows).
	Context int `json:"context,omitempty"`
	// SpaceSplits counts the tokens of the text read right after a token
	// that took their leading space, SpaceSplitRows the head rows
	// corrected for them (see fitSpaceSplits; none when too few), and
	// SpaceSplitBits what the correction was estimated to change in the
	// bits of the text: it is applied only when that is negative.
	SpaceSplits    int     `json:"space_splits,omitempty"`
	SpaceSplitRows int     `json:"space_split_rows,omitempty"`
	SpaceSplitBits float64 `json:"space_split_bits,omitempty"`
	// ContinuationRows counts the head rows raised after the first piece
	// of a word the base reads whole (see fitContinuations), and
	// ContinuationBits what that was estimated to change in the bits of
	// the text: it is applied only when that is negative (the rows are
	// then 0).
	ContinuationRows int     `json:"continuation_rows,omitempty"`
	ContinuationBits float64 `json:"continuation_bits,omitempty"`
	Kept             int     `json:"kept"`
	// Unseen says, per group of kept rows, how they were lowered (see
	// lowerUnseen); none when no row was kept or KeepUnseen.
	Unseen []UnseenGroup `json:"unseen,omitempty"`
	Lambda float64       `json:"lambda"`
	// DonorWeight is the share of each new row fitted to the donor (see
	// CalibrationOptions.BaseOnly), DonorLambda the λ of that fit.
	DonorWeight float64 `json:"donor_weight,omitempty"`
	DonorLambda float64 `json:"donor_lambda,omitempty"`
	Seconds     float64 `json:"seconds"`
	// PassSeconds is the part of Seconds the models' passes over the
	// text took: the base's (with the donor's beside it and what reads
	// their states as they go), the refinement passes of an extension's
	// input rows, and the transplant's own (see fitTransplant). The rest
	// is setting up and solving.
	PassSeconds float64 `json:"pass_seconds"`
	// Warning says when the text held too few new tokens to fit much.
	Warning string `json:"warning,omitempty"`
}

// warn notes a text that fitted few rows: none, or under 1% of them.
func (r *CalibrationReport) warn() {
	n := r.Fitted + r.Kept
	if r.Fitted*100 >= n && r.Fitted > 0 {
		return
	}
	r.Warning = fmt.Sprintf("the calibration text %s holds only %d of the %d new tokens (%d tokens of text): the head rows of the others are not fitted", r.Text, r.Fitted, n, r.Tokens)
}

// An UnseenGroup is a group of head rows of new tokens the calibration
// text lacks, by the number of old pieces their token takes.
type UnseenGroup struct {
	// Pieces is the number of old pieces, unseenGroups standing for as
	// many or more, 1 for none.
	Pieces int `json:"pieces"`
	Rows   int `json:"rows"`
	// Mass is the mean probability the group's rows took together at
	// positions spread over the text, Target the share of the text's
	// tokens the group should have, and Shift the logit shift (nats, never
	// positive) that brought the one to the other.
	Mass   float64 `json:"mass"`
	Target float64 `json:"target"`
	Shift  float64 `json:"shift"`
}

// HowCalibrated is how the run report counts fitted head rows.
const HowCalibrated = "calibrated"

// HowCopiedCalibrated is how it counts head rows of shared tokens copied
// and then fitted again (CalibrationOptions.KeepShared).
const HowCopiedCalibrated = "copied, calibrated"

// Names of the per-row measures of a calibrated map, which the token
// report and --explain show.
const (
	// MeasureContexts is the number of contexts a row was fitted on.
	MeasureContexts = "calibration_contexts"
	// MeasureShift is how far the fit moved the row: ‖fitted − prior‖ /
	// ‖prior‖.
	MeasureShift = "calibration_shift"
)

// A Calibration is a calibration text read by the base model: the
// samples head rows are fitted on, for any prior map (Calibration.Fit).
type Calibration struct {
	s       *Session
	base    blas32.General // the base's head rows, old vocabulary only
	samples *calSamples
	report  CalibrationReport
}

// Calibrate runs the base model over text for calibrating head rows (see
// package calibrate): the base reads the text as the new tokenizer cuts
// it, each new token spelled by its old pieces, and a new token's target
// logit where it occurs is the base's logit of its first piece plus the
// log-probabilities of the others, so that its row scores its bytes as the
// base does. With o.Donor the donor model reads the text too, and every
// new token gets a target at each sampled position where the two models
// stand at the same byte (see donorReader, donorStride): Fit then minimizes
//
//	Σ_occ (x·h − y)²  +  Σ_donor (x·s − t)²  +  λ‖x − p‖²
//
// in place of the stay contexts of package calibrate, so that rows of
// tokens the text lacks are fitted too. With a donor model the donor reads
// the text by default (o.Donor unset): each new row is then the mean of
// its fit to the base and its fit to the donor (see o.BaseOnly), and the
// head rows of the shared tokens the text mostly puts where the base's
// tokenizer cuts otherwise are fitted half to the donor and half to the
// base's projection (see recutRow, recutProjection, o.KeepRecut); without
// a donor, or with o.BaseOnly, to the projection alone.
func (s *Session) Calibrate(ctx context.Context, text []byte, o CalibrationOptions) (*Calibration, error) {
	start := time.Now()
	t, ok := s.table(heuristics.OutputHead)
	if !ok {
		return nil, fmt.Errorf("transplant: %w: the head is the input embedding (tied)", ErrNoHeadToCalibrate)
	}
	m, err := s.baseForward()
	if err != nil {
		return nil, err
	}
	base, err := s.calibrationHead(m, t)
	if err != nil {
		return nil, err
	}
	base = realRows(base, t)
	text = prefixAtLine(text, or(o.MaxBytes, DefaultCalibrationBytes))
	samples, rep, err := s.calibrationSamples(ctx, m, base, text, o)
	if rep == nil {
		return nil, err
	}
	rep.Text, rep.Bytes, rep.Seconds = o.TextName, len(text), time.Since(start).Seconds()
	// With nothing to fit, the caller still gets the report of what was read.
	return &Calibration{s: s, base: base, samples: samples, report: *rep}, err
}

// calibrationHead is the base's head table t for calibration: the forward
// model's own weights when they are t's rows as they are (no bias column),
// which spares a second float32 copy of the largest table while the model
// is held (2 GiB for a 128k × 4096 head).
func (s *Session) calibrationHead(m *forward.Model, t Table) (blas32.General, error) {
	if w := m.HeadWeights(); t.Bias == "" && m.Config().Hidden == t.Cols && len(w) == t.Rows*t.Cols {
		return blas32.General{Rows: t.Rows, Cols: t.Cols, Stride: t.Cols, Data: w}, nil
	}
	var buf scratch
	return s.readBase(t, &buf)
}

// Fit returns a copy of the head map prior whose rows for the tokens the
// text holds are fitted (their Delta set, How HowCalibrated), and a report.
// Tokens the text lacks keep their prior row, lowered unless
// CalibrationOptions.KeepUnseen (see lowerUnseen).
func (c *Calibration) Fit(ctx context.Context, prior *heuristics.Map) (*heuristics.Map, *CalibrationReport, error) {
	start := time.Now()
	if err := c.s.checkMap(prior, c.base.Cols); err != nil {
		return nil, nil, fmt.Errorf("transplant: calibration: %w", err)
	}
	rm := *prior
	rm.Rows = slices.Clone(prior.Rows)
	rm.Measures = slices.Clone(prior.Measures)
	rm.AddMeasure(MeasureContexts)
	rm.AddMeasure(MeasureShift)
	rep := c.report
	f, err := c.samples.fitters(c.base.Cols, &rep)
	if err != nil {
		return nil, nil, err
	}
	if err := fitRows(ctx, f, &rm, prior, c.base, c.samples, &rep); err != nil {
		return nil, nil, err
	}
	if err := fitShared(ctx, f, &rm, c.base, c.samples, &rep); err != nil {
		return nil, nil, err
	}
	if err := lowerUnseen(ctx, &rm, c.samples.fitted(), c.base, c.s.anchors, c.samples.mass, &rep); err != nil {
		return nil, nil, err
	}
	rep.Seconds += time.Since(start).Seconds()
	return &rm, &rep, nil
}

// CalibrateHead fits b's head map to the base on text (Calibrate, Fit) and
// records the report in b. A text in which no new token occurs is not an
// error: the rows keep their prior and the report warns.
func (s *Session) CalibrateHead(ctx context.Context, b *Built, text []byte, o CalibrationOptions) error {
	rc, err := calibrationRecord(text, o)
	if err != nil {
		return err
	}
	return s.calibrateHead(ctx, b, text, o, rc)
}

// calibrateHead is CalibrateHead with the recipe's record of the text
// already made.
func (s *Session) calibrateHead(ctx context.Context, b *Built, text []byte, o CalibrationOptions, rc *recipe.Calibration) error {
	for i := range b.Tables {
		bt := &b.Tables[i]
		if bt.Table.Role != heuristics.OutputHead {
			continue
		}
		b.calibration = rc
		c, err := s.Calibrate(ctx, text, o)
		if errors.Is(err, ErrNothingToCalibrate) {
			rep := c.report
			rep.Kept = len(bt.Map.Rows)
			rep.warn()
			b.Calibration = &rep
			return nil
		}
		if err != nil {
			return err
		}
		bt.Prior = bt.Map
		if bt.Map, b.Calibration, err = c.Fit(ctx, bt.Map); err != nil {
			return err
		}
		b.Calibration.warn()
		for j := range b.Tables {
			if in := &b.Tables[j]; in.Table.Role == heuristics.InputEmbedding && c.samples.context != nil {
				in.Prior = in.Map
				in.Map, b.Calibration.Context = c.samples.context.apply(in.Map)
			}
		}
		return s.fitTransplant(ctx, b, bt, text, o, b.Calibration)
	}
	return fmt.Errorf("transplant: %w: the head is the input embedding (tied)", ErrNoHeadToCalibrate)
}

// calibrationRecord is what a recipe keeps of a calibration.
func calibrationRecord(text []byte, o CalibrationOptions) (*recipe.Calibration, error) {
	name := o.TextName
	o.TextName = ""
	opts, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(text)
	return &recipe.Calibration{Name: name, Text: recipe.Fingerprint{Size: len(text), SHA256: hex.EncodeToString(sum[:])}, Options: opts}, nil
}

// recalibrate fits b's head to this session's base as the recipe records,
// on text, which must be the recipe's.
func (s *Session) recalibrate(ctx context.Context, b *Built, rc *recipe.Calibration, text []byte) error {
	s.cutTargets()
	if text == nil {
		return fmt.Errorf("transplant: recipe %s: %w: it fits the head to each base on a text (%s, %d bytes, sha256 %s): give it (--calibration-text)",
			s.in.Recipe, ErrCalibrationText, rc.Name, rc.Text.Size, rc.Text.SHA256)
	}
	var o CalibrationOptions
	if err := json.Unmarshal(rc.Options, &o); err != nil {
		return fmt.Errorf("transplant: recipe %s: calibration options: %w", s.in.Recipe, err)
	}
	o.TextName = rc.Name
	got, err := calibrationRecord(text, o)
	if err != nil {
		return err
	}
	if got.Text != rc.Text {
		return fmt.Errorf("transplant: recipe %s: %w: its head was calibrated on %s (sha256 %s), this text is another (sha256 %s)",
			s.in.Recipe, recipe.ErrMismatch, rc.Name, rc.Text.SHA256, got.Text.SHA256)
	}
	return s.calibrateHead(ctx, b, text, o, got)
}

// donorRuns reports whether the session has a donor model whose config
// the forward pass takes: then calibration reads the text with it by
// default (CalibrationOptions.BaseOnly, KeepRecut).
func (s *Session) donorRuns() bool {
	if s.donor == nil {
		return false
	}
	_, err := forwardConfig(s.donor)
	return err == nil
}

// forwardConfig is model's configuration for the forward pass.
func forwardConfig(model *checkpoint.Model) (*forward.Config, error) {
	data, err := model.Config().Marshal()
	if err != nil {
		return nil, err
	}
	return forward.ParseConfig(data)
}

// baseForward is the base model for the forward pass, as it is on disk.
func (s *Session) baseForward() (*forward.Model, error) {
	m, err := s.forwardOf(s.base, s.in.Base)
	if err == nil && m.Config().FinalSoftcap > 0 {
		return nil, fmt.Errorf("transplant: %w: base %s caps its logits (final_logit_softcapping), so they are not linear in the head rows", ErrNoHeadToCalibrate, s.in.Base)
	}
	return m, err
}

// forwardOf is model, found at dir, for the forward pass.
func (s *Session) forwardOf(model *checkpoint.Model, dir string) (*forward.Model, error) {
	fc, err := forwardConfig(model)
	if err != nil {
		return nil, fmt.Errorf("transplant: calibration: %s: %w", dir, err)
	}
	fc.TieEmbeddings = model.Tied()
	return forward.New(fc, model)
}

// extending reports whether the new vocabulary keeps every old token: then
// the new tokenizer cuts text as the old one does except where it joins
// old pieces into new tokens.
func (s *Session) extending() bool {
	return s.alignment.Report.OldUnused == 0
}
