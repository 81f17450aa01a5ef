package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/internal/utf8text"
	"github.com/transplant-dev/transplant/omp"
	"github.com/transplant-dev/transplant/safetensors"
)

// methodFlags are the choice of methods and their knobs. Knobs several
// methods share (--k, --temperature) take each method's own default when
// the user leaves them alone.
type methodFlags struct {
	method, headMethod   string
	combine, headCombine string
	weighting            string
	ompMemory            string
	calibration          string
	calibrateHead        bool
	calibrateToDonor     bool
	keepShared           bool
	keepRecut            bool
	keepUnseen           bool
	keepSpaceSplits      bool
	keepContinuations    bool
	baseOnly             bool
	calibrationText      []byte // read once
	params               transplant.MethodParams
}

// autoMethod is the --method that lets the session choose per table.
const autoMethod = "auto"

func (f *methodFlags) register(fl *pflag.FlagSet) {
	d := transplant.DefaultMethodParams()
	p := &f.params
	fl.StringVar(&f.method, "method", autoMethod, "how to build rows for new tokens: auto (choose per table), "+transplant.MethodNames())
	fl.StringVar(&f.headMethod, "head-method", "", "method for the output head (default: --method)")
	fl.StringVar(&f.calibration, "calibration-text", "", "UTF-8 text for auto to score candidate methods on and for --calibrate-head (keep it apart from any text you judge the result on)")
	fl.BoolVar(&f.calibrateHead, "calibrate-head", false, "fit the new tokens' head rows to the base model on --calibration-text, its first MiB (auto decides this itself unless given)")
	fl.BoolVar(&f.calibrateToDonor, "calibrate-to-donor", false, "--calibrate-head, fitting the rows to the donor model's predictions all over the text as well (needs --donor; not for --save-recipe)")
	fl.BoolVar(&f.keepShared, "keep-shared-rows", false, "calibration: keep the base's head rows of old tokens that new tokens begin or go on with (by default they are fitted again so as not to count the new tokens' probability twice)")
	fl.BoolVar(&f.baseOnly, "calibrate-to-base", false, "calibration with a donor: fit the head rows to the base alone, without a pass of the donor (by default each is half its fit to the base, half its fit to the donor; always so with --save-recipe)")
	fl.BoolVar(&f.keepUnseen, "keep-unseen-rows", false, "calibration: keep the prior head rows of new tokens the calibration text lacks (by default they are lowered, by their number of old pieces, to the share of probability such tokens take in text unlike the rest)")
	fl.BoolVar(&f.keepSpaceSplits, "keep-space-splits", false, "calibration: leave the head as it is where the new tokenizer gives a word's leading space to the token before it (by default the tokens read there are made to score what the base gives them with their space)")
	fl.BoolVar(&f.keepContinuations, "keep-continuations", false, "calibration: leave the head as it is after a token the new tokenizer begins words with that the base reads whole (by default the pieces that can go on from it are raised there, as far as the base's vocabulary makes them likely)")
	fl.BoolVar(&f.keepRecut, "keep-recut-rows", false, "calibration: keep the base's head rows of old tokens the new tokenizer mostly puts where the old one cuts otherwise (by default they are fitted to the base's probability of the old tokens the new tokenizer begins with them, and with a donor half to the donor, as the new tokens' rows are)")
	fl.StringVar(&f.combine, "subword-combine", "mean", "subword: how to combine the pieces' rows in the input embedding: mean, first, last, length")
	fl.StringVar(&f.headCombine, "subword-combine-head", "mean", "subword: the same for the output head")
	fl.IntVar(&p.K, "k", 0, fmt.Sprintf("neighbours for knn (default %d) and hybrid (default %d), anchors per token for omp (default %d)", heuristics.DefaultKNNK, heuristics.DefaultHybrid().K, omp.DefaultK))
	fl.Float64Var(&p.Temperature, "temperature", 0, fmt.Sprintf("softmax temperature for knn (default %g) and hybrid (default %g)", heuristics.DefaultKNNTemperature, heuristics.DefaultHybrid().Temperature))
	fl.StringVar(&f.weighting, "weighting", "softmax", "knn: softmax or sparsemax (FOCUS)")
	fl.Float64Var(&p.HybridWeight, "hybrid-weight", d.HybridWeight, "hybrid: weight of the global (nearest-neighbour) estimate")
	fl.Float64Var(&p.BlendWeight, "blend-weight", d.BlendWeight, "blend: weight of the knn rows against the subword rows (--subword-combine)")
	fl.Float64Var(&p.HybridThreshold, "hybrid-threshold", d.HybridThreshold, "hybrid: least cosine similarity that counts")
	fl.Float64Var(&p.RandnScale, "randn-scale", d.RandnScale, "randn: factor on the embedding covariance")
	fl.Float64Var(&p.OMP.Tolerance, "tolerance", 0, "omp: stop a token early once its residual is this fraction of its norm")
	fl.BoolVar(&p.OMP.Normalize, "omp-normalize", false, "omp: select anchors by correlation with unit-length anchors")
	fl.BoolVar(&p.OMP.Float64, "omp-float64", false, "omp: screen correlations in float64")
	fl.IntVar(&p.OMP.BatchSize, "omp-batch", 0, "omp: tokens solved together (default: as many as --omp-memory allows)")
	fl.StringVar(&f.ompMemory, "omp-memory", "", fmt.Sprintf("omp: memory for the solver's Gram cache and batch, e.g. 2GiB (default %dGiB)", omp.DefaultMaxMemory>>30))
	fl.IntVar(&p.OMP.Threads, "omp-threads", 0, "omp: goroutines solving tokens (default: all cores)")
}

// resolve reads the knobs given as text into params.
func (f *methodFlags) resolve() error {
	var err error
	p := &f.params
	if p.Combine, err = heuristics.ParseCombine(f.combine); err != nil {
		return fmt.Errorf("--subword-combine: %w", err)
	}
	if p.HeadCombine, err = heuristics.ParseCombine(f.headCombine); err != nil {
		return fmt.Errorf("--subword-combine-head: %w", err)
	}
	if p.Weighting, err = heuristics.ParseWeighting(f.weighting); err != nil {
		return fmt.Errorf("--weighting: %w", err)
	}
	if f.ompMemory != "" {
		if p.OMP.MaxMemory, err = parseSize(f.ompMemory); err != nil {
			return fmt.Errorf("--omp-memory: %w", err)
		}
	}
	return nil
}

// auto reports whether the session is to choose the methods.
func (f *methodFlags) auto() bool {
	return f.method == autoMethod && (f.headMethod == "" || f.headMethod == autoMethod)
}

// resolveChoice returns the methods for the input embedding and the
// output head: those the flags name, or with auto those the session
// chooses, with its report.
func (f *methodFlags) resolveChoice(ctx context.Context, s *transplant.Session, seed uint64) (transplant.Choice, *transplant.AutoReport, error) {
	if !f.auto() {
		c, err := f.choice()
		return c, nil, err
	}
	return f.resolveAuto(ctx, s, seed)
}

// resolveAuto lets the session choose the methods, scoring candidates on
// --calibration-text when given.
func (f *methodFlags) resolveAuto(ctx context.Context, s *transplant.Session, seed uint64) (transplant.Choice, *transplant.AutoReport, error) {
	if err := f.resolve(); err != nil {
		return transplant.Choice{}, nil, err
	}
	if err := f.checkCalibration(); err != nil {
		return transplant.Choice{}, nil, err
	}
	o := transplant.AutoOptions{Params: f.params, Seed: seed, Calibration: f.calibrationOptions()}
	if f.calibration != "" {
		text, err := f.text()
		if err != nil {
			return transplant.Choice{}, nil, err
		}
		o.Text, o.TextName = text, filepath.Base(f.calibration)
	}
	c, rep, err := s.Auto(ctx, o)
	// Calibration asked for by name is done whatever auto chose.
	c.CalibrateHead = c.CalibrateHead || f.calibrateHead || f.calibrateToDonor
	c.CalibrateToDonor = c.CalibrateToDonor || f.calibrateToDonor
	return c, rep, err
}

// plan is what a run with these flags will take, worked out without
// building or scoring anything: with auto, the plan of the costliest
// choice it may make (Session.PlanAuto), so that a dry run or a batch's
// budget never waits for auto to score its candidates.
func (f *methodFlags) plan(s *transplant.Session, dtype safetensors.Dtype) (transplant.Plan, error) {
	text, err := f.textBytes()
	if err != nil {
		return transplant.Plan{}, err
	}
	if f.auto() {
		if err := f.resolve(); err != nil {
			return transplant.Plan{}, err
		}
		if err := f.checkCalibration(); err != nil {
			return transplant.Plan{}, err
		}
		return s.PlanAuto(f.params, text, dtype)
	}
	c, err := f.choice()
	if err != nil {
		return transplant.Plan{}, err
	}
	if c.CalibrateHead {
		c.CalibrationBytes = text
	}
	return s.Plan(c, dtype)
}

// estimate is the time work's forward passes will take here, nil when it
// makes none; the calibration text, or else sample, gives the tokens per
// byte.
func (f *methodFlags) estimate(s *transplant.Session, work transplant.ForwardWork, sample []byte) (*timeEstimate, error) {
	if work.BaseBytes+work.DonorBytes == 0 {
		return nil, nil
	}
	if f.calibration != "" {
		var err error
		if sample, err = f.text(); err != nil {
			return nil, err
		}
	}
	return estimateTime(work, s.OldTokenizer(), sample), nil
}

// checkCalibration refuses a calibration asked for without its text.
func (f *methodFlags) checkCalibration() error {
	if (f.calibrateHead || f.calibrateToDonor) && f.calibration == "" {
		return fmt.Errorf("--calibrate-head and --calibrate-to-donor fit the head on a text: give --calibration-text FILE")
	}
	return nil
}

// warnCalibration prints the calibration's warning, if any.
func warnCalibration(w io.Writer, b *transplant.Built) {
	if b.Calibration != nil && b.Calibration.Warning != "" {
		fmt.Fprintf(w, "transplant: warning: %s\n", b.Calibration.Warning)
	}
}

// text reads --calibration-text, once.
func (f *methodFlags) text() ([]byte, error) {
	if f.calibrationText == nil {
		text, err := utf8text.ReadFile(f.calibration)
		if err != nil {
			return nil, fmt.Errorf("--calibration-text: %w", err)
		}
		f.calibrationText = text
	}
	return f.calibrationText, nil
}

// textBytes is the size of --calibration-text, 0 without one, read off
// the file system: what a plan needs, without reading the text.
func (f *methodFlags) textBytes() (int, error) {
	if f.calibration == "" {
		return 0, nil
	}
	fi, err := os.Stat(f.calibration)
	if err != nil {
		return 0, fmt.Errorf("--calibration-text: %w", err)
	}
	return int(min(fi.Size(), math.MaxInt32)), nil
}

// buildOptions gives bo the calibration text when c calibrates the head,
// and c its length, which the plan counts.
func (f *methodFlags) buildOptions(bo *transplant.BuildOptions, c *transplant.Choice) error {
	if !c.CalibrateHead {
		return nil
	}
	text, err := f.text()
	if err != nil {
		return err
	}
	bo.CalibrationText, c.CalibrationBytes = text, len(text)
	bo.Calibration = f.calibrationOptions()
	bo.Calibration.TextName = filepath.Base(f.calibration)
	return nil
}

// calibrationOptions are the calibration's options the flags set.
func (f *methodFlags) calibrationOptions() transplant.CalibrationOptions {
	return transplant.CalibrationOptions{KeepShared: f.keepShared, KeepRecut: f.keepRecut, KeepUnseen: f.keepUnseen, KeepSpaceSplits: f.keepSpaceSplits, KeepContinuations: f.keepContinuations, BaseOnly: f.baseOnly}
}

// choice returns the methods the flags name for the input embedding and
// the output head.
func (f *methodFlags) choice() (transplant.Choice, error) {
	var c transplant.Choice
	var err error
	if f.method == autoMethod || f.headMethod == autoMethod {
		return c, fmt.Errorf("auto chooses the methods of both tables: give --method auto without --head-method, or name both methods")
	}
	if err := f.checkCalibration(); err != nil {
		return c, err
	}
	c.CalibrateHead, c.CalibrateToDonor = f.calibrateHead || f.calibrateToDonor, f.calibrateToDonor
	if c.Input, err = f.build(f.method); err != nil {
		return c, err
	}
	if f.headMethod != "" {
		if c.Output, err = f.build(f.headMethod); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (f *methodFlags) build(name string) (heuristics.Method, error) {
	if err := f.resolve(); err != nil {
		return nil, err
	}
	return transplant.NewMethod(name, f.params)
}

// parseMethods builds the methods of a comma-separated list.
func (f *methodFlags) parseMethods(list string) ([]heuristics.Method, error) {
	var ms []heuristics.Method
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		m, err := f.build(name)
		if err != nil {
			return nil, fmt.Errorf("--methods: %w", err)
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("--methods: no method given")
	}
	return ms, nil
}

// calibratedSuffix marks an entry of eval's --methods whose head is
// calibrated: "knn+cal", "subword/mean+cal".
const calibratedSuffix = "+cal"

// donorCalibratedSuffix marks one whose head is calibrated to the donor as
// well: "knn+dcal".
const donorCalibratedSuffix = "+dcal"

// A namedChoice is an entry of eval's --methods: "omp", or "omp/mean" for
// one method per table.
type namedChoice struct {
	name string
	transplant.Choice
	auto bool // the session chooses (--method auto)
}

// parseChoices reads --methods entries: METHOD, or INPUT/HEAD.
func (f *methodFlags) parseChoices(list string) ([]namedChoice, error) {
	var out []namedChoice
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if entry == autoMethod {
			out = append(out, namedChoice{name: entry, auto: true})
			continue
		}
		c := namedChoice{name: entry}
		if rest, ok := strings.CutSuffix(entry, donorCalibratedSuffix); ok {
			entry, c.CalibrateToDonor = rest+calibratedSuffix, true
		}
		if rest, ok := strings.CutSuffix(entry, calibratedSuffix); ok {
			if f.calibration == "" {
				return nil, fmt.Errorf("--methods: %s fits the head on a text: give --calibration-text FILE", c.name)
			}
			entry, c.CalibrateHead = rest, true
		}
		in, head, split := strings.Cut(entry, "/")
		var err error
		if c.Input, err = f.build(in); err == nil && split {
			c.Output, err = f.build(head)
		}
		if err != nil {
			return nil, fmt.Errorf("--methods: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--methods: no method given")
	}
	return out, nil
}

// distinctMethods lists the methods the choices use, each once.
func distinctMethods(choices []namedChoice) []heuristics.Method {
	var ms []heuristics.Method
	seen := map[string]bool{}
	for _, c := range choices {
		for _, m := range []heuristics.Method{c.Input, c.Output} {
			if m != nil && !seen[m.Name()] {
				seen[m.Name()] = true
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// methodList is the run command's list of methods, one per line.
func methodList() string {
	var b strings.Builder
	for _, m := range transplant.Methods() {
		fmt.Fprintf(&b, "  %-8s %s", m.Name, m.Summary)
		if m.RequiresDonor() {
			b.WriteString(" (needs --donor)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
