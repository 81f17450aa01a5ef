package transplant

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// MethodParams are the knobs of the initialization methods, one struct for
// all so that a command line or a job file can set them by name. A knob
// several methods share (K, Temperature) means each method's own default
// when zero; DefaultMethodParams gives every other knob its default.
type MethodParams struct {
	// Combine and HeadCombine say how subword combines the pieces' rows
	// in the input embedding and in the output head.
	Combine, HeadCombine heuristics.Combine
	// K is the number of neighbours of knn and hybrid, and the most
	// anchors per token of omp.
	K int
	// Temperature is the softmax temperature of knn and hybrid.
	Temperature float64
	// Weighting turns knn's similarities into weights.
	Weighting heuristics.Weighting
	// HybridWeight is the weight of hybrid's global estimate and
	// HybridThreshold the least similarity it counts.
	HybridWeight, HybridThreshold float64
	// RandnScale is randn's factor on the covariance.
	RandnScale float64
	// BlendWeight is the weight of blend's neighbours (knn) against its
	// pieces (subword).
	BlendWeight float64
	// OMP tunes omp; its K is taken from K.
	OMP omp.Options
}

// DefaultMethodParams returns every knob at its default.
func DefaultMethodParams() MethodParams {
	h := heuristics.DefaultHybrid()
	return MethodParams{HybridWeight: h.GlobalWeight, HybridThreshold: h.Threshold, RandnScale: heuristics.DefaultRandnScale, BlendWeight: 0.5}
}

// A MethodSpec describes one initialization method of the registry.
type MethodSpec struct {
	Name string
	// Summary says in a line how the method builds a row.
	Summary string
	// New makes the method with the given knobs.
	New func(MethodParams) (heuristics.Method, error)
	// Decode makes the method back from the parameters a report or a
	// recipe recorded (its JSON).
	Decode func(json.RawMessage) (heuristics.Method, error)
}

// RequiresDonor reports whether the method cannot run without a donor
// table.
func (m MethodSpec) RequiresDonor() bool {
	method, err := m.New(DefaultMethodParams())
	return err == nil && heuristics.RequiresDonor(method)
}

// ErrUnknownMethod reports a method name the registry lacks.
var ErrUnknownMethod = errors.New("unknown method")

// methods is the registry: every method a transplant can use, in the
// order help lists them.
var methods = []MethodSpec{
	{"zero", "the zero vector", func(MethodParams) (heuristics.Method, error) { return heuristics.Zero{}, nil }, decodeAs[heuristics.Zero]},
	{"mean", "the mean of the base rows", func(MethodParams) (heuristics.Method, error) { return heuristics.Mean{}, nil }, decodeAs[heuristics.Mean]},
	{"randn", "a draw around the mean with the rows' covariance (transformers' mean_resizing)", newRandn, decodeAs[heuristics.Randn]},
	{"subword", "the rows of the pieces the old tokenizer cuts the token into", newSubword, decodeAs[heuristics.Subword]},
	{"knn", "the nearest shared tokens in a donor model's space (FOCUS)", newKNN, decodeAs[heuristics.KNN]},
	{"hybrid", "TokenAdapt's blend of subword pieces and nearest neighbours", newHybrid, decodeAs[heuristics.Hybrid]},
	{"omp", "Orthogonal Matching Pursuit: the token's donor row as a sparse combination of shared tokens' donor rows, applied to their base rows", newOMP, decodeAs[omp.Method]},
}

// decodeAs reads recorded parameters into a method of type M.
// blend is registered from init: its decoder looks methods up in the
// registry it belongs to.
func init() {
	methods = append(methods, MethodSpec{"blend", "subword and knn rows blended (--blend-weight on knn)", newBlend, decodeBlend})
}

func newBlend(p MethodParams) (heuristics.Method, error) {
	if p.BlendWeight < 0 || p.BlendWeight > 1 {
		return nil, fmt.Errorf("transplant: blend: weight %g outside [0, 1]", p.BlendWeight)
	}
	sw, _ := newSubword(p)
	knn, _ := newKNN(p)
	return heuristics.Blend{First: sw, Second: knn, Weight: p.BlendWeight}, nil
}

// decodeBlend reads what heuristics.Blend.MarshalJSON wrote.
func decodeBlend(params json.RawMessage) (heuristics.Method, error) {
	type named struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	var raw struct {
		First, Second named
		Weight        float64
	}
	if err := json.Unmarshal(params, &raw); err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	b := heuristics.Blend{Weight: raw.Weight}
	var err error
	if b.First, err = DecodeMethod(raw.First.Method, raw.First.Params); err != nil {
		return nil, err
	}
	if b.Second, err = DecodeMethod(raw.Second.Method, raw.Second.Params); err != nil {
		return nil, err
	}
	return b, nil
}

func decodeAs[M heuristics.Method](params json.RawMessage) (heuristics.Method, error) {
	var m M
	if err := json.Unmarshal(params, &m); err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	return m, nil
}

// DecodeMethod makes a method of the registry back from its name and
// recorded parameters.
func DecodeMethod(name string, params json.RawMessage) (heuristics.Method, error) {
	for _, m := range methods {
		if m.Name == name {
			return m.Decode(params)
		}
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownMethod, name, MethodNames())
}

// Methods returns the registry of methods.
func Methods() []MethodSpec { return append([]MethodSpec(nil), methods...) }

// MethodNames lists the registry's method names, comma-separated.
func MethodNames() string {
	names := make([]string, len(methods))
	for i, m := range methods {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// NewMethod makes the named method of the registry with the given knobs.
func NewMethod(name string, p MethodParams) (heuristics.Method, error) {
	for _, m := range methods {
		if m.Name == name {
			return m.New(p)
		}
	}
	return nil, fmt.Errorf("transplant: %w %q (known: %s)", ErrUnknownMethod, name, MethodNames())
}

func newRandn(p MethodParams) (heuristics.Method, error) {
	if p.RandnScale <= 0 {
		return nil, fmt.Errorf("transplant: randn: scale %g must be positive", p.RandnScale)
	}
	return heuristics.Randn{Scale: p.RandnScale}, nil
}

func newSubword(p MethodParams) (heuristics.Method, error) {
	return heuristics.Subword{Input: p.Combine, Output: p.HeadCombine}, nil
}

func newKNN(p MethodParams) (heuristics.Method, error) {
	return heuristics.KNN{K: or(p.K, heuristics.DefaultKNNK), Temperature: or(p.Temperature, heuristics.DefaultKNNTemperature), Weighting: p.Weighting}, nil
}

func newHybrid(p MethodParams) (heuristics.Method, error) {
	d := heuristics.DefaultHybrid()
	return heuristics.Hybrid{GlobalWeight: p.HybridWeight, K: or(p.K, d.K), Temperature: or(p.Temperature, d.Temperature), Threshold: p.HybridThreshold}, nil
}

func newOMP(p MethodParams) (heuristics.Method, error) {
	o := p.OMP
	o.K = p.K
	if o.BatchSize < 0 || o.Threads < 0 || o.MaxMemory < 0 {
		return nil, fmt.Errorf("transplant: omp: batch size, threads and memory must not be negative")
	}
	return omp.Method{Options: o}, nil
}

// or returns v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
