package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// methodFlags are the knobs of the initialization methods. Knobs several
// methods share (--k, --temperature) take each method's own default when
// the user leaves them alone.
type methodFlags struct {
	method, headMethod            string
	combine, headCombine          string
	k                             int
	temperature                   float64
	weighting                     string
	hybridWeight, hybridThreshold float64
	randnScale                    float64
	tolerance                     float64
	ompNormalize, ompFloat64      bool
	ompBatch, ompThreads          int
	ompMemory                     string
}

func (f *methodFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.method, "method", "subword", "how to build rows for new tokens: zero, mean, randn, subword, knn, hybrid, omp")
	fl.StringVar(&f.headMethod, "head-method", "", "method for the output head (default: --method)")
	fl.StringVar(&f.combine, "subword-combine", "mean", "subword: how to combine the pieces' rows in the input embedding: mean, first, last, length")
	fl.StringVar(&f.headCombine, "subword-combine-head", "mean", "subword: the same for the output head")
	fl.IntVar(&f.k, "k", 0, fmt.Sprintf("neighbours for knn (default %d) and hybrid (default %d), anchors per token for omp (default %d)", heuristics.DefaultKNNK, heuristics.DefaultHybrid().K, omp.DefaultK))
	fl.Float64Var(&f.temperature, "temperature", 0, fmt.Sprintf("softmax temperature for knn (default %g) and hybrid (default %g)", heuristics.DefaultKNNTemperature, heuristics.DefaultHybrid().Temperature))
	fl.StringVar(&f.weighting, "weighting", "softmax", "knn: softmax or sparsemax (FOCUS)")
	fl.Float64Var(&f.hybridWeight, "hybrid-weight", heuristics.DefaultHybrid().GlobalWeight, "hybrid: weight of the global (nearest-neighbour) estimate")
	fl.Float64Var(&f.hybridThreshold, "hybrid-threshold", heuristics.DefaultHybrid().Threshold, "hybrid: least cosine similarity that counts")
	fl.Float64Var(&f.randnScale, "randn-scale", heuristics.DefaultRandnScale, "randn: factor on the embedding covariance")
	fl.Float64Var(&f.tolerance, "tolerance", 0, "omp: stop a token early once its residual is this fraction of its norm")
	fl.BoolVar(&f.ompNormalize, "omp-normalize", false, "omp: select anchors by correlation with unit-length anchors")
	fl.BoolVar(&f.ompFloat64, "omp-float64", false, "omp: screen correlations in float64")
	fl.IntVar(&f.ompBatch, "omp-batch", 0, "omp: tokens solved together (default: as many as --omp-memory allows)")
	fl.StringVar(&f.ompMemory, "omp-memory", "", fmt.Sprintf("omp: memory for the solver's Gram cache and batch, e.g. 2GiB (default %dGiB)", omp.DefaultMaxMemory>>30))
	fl.IntVar(&f.ompThreads, "omp-threads", 0, "omp: goroutines solving tokens (default: all cores)")
}

// methods returns the methods for the input embedding and the output head.
func (f *methodFlags) methods() (input, output heuristics.Method, err error) {
	if input, err = f.build(f.method); err != nil {
		return nil, nil, err
	}
	head := f.headMethod
	if head == "" {
		head = f.method
	}
	if output, err = f.build(head); err != nil {
		return nil, nil, err
	}
	return input, output, nil
}

func (f *methodFlags) build(name string) (heuristics.Method, error) {
	switch name {
	case "subword":
		in, err := heuristics.ParseCombine(f.combine)
		if err != nil {
			return nil, err
		}
		out, err := heuristics.ParseCombine(f.headCombine)
		if err != nil {
			return nil, err
		}
		return heuristics.Subword{Input: in, Output: out}, nil
	case "randn":
		return heuristics.Randn{Scale: f.randnScale}, nil
	case "knn":
		w, err := heuristics.ParseWeighting(f.weighting)
		if err != nil {
			return nil, err
		}
		return heuristics.KNN{K: orInt(f.k, heuristics.DefaultKNNK), Temperature: orFloat(f.temperature, heuristics.DefaultKNNTemperature), Weighting: w}, nil
	case "omp":
		o := omp.Options{K: f.k, Tolerance: f.tolerance, Normalize: f.ompNormalize, Float64: f.ompFloat64,
			BatchSize: f.ompBatch, Threads: f.ompThreads}
		if f.ompMemory != "" {
			var err error
			if o.MaxMemory, err = parseSize(f.ompMemory); err != nil {
				return nil, fmt.Errorf("--omp-memory: %w", err)
			}
		}
		if o.BatchSize < 0 || o.Threads < 0 {
			return nil, fmt.Errorf("--omp-batch and --omp-threads must not be negative")
		}
		return omp.Method{Options: o}, nil
	case "hybrid":
		d := heuristics.DefaultHybrid()
		return heuristics.Hybrid{GlobalWeight: f.hybridWeight, K: orInt(f.k, d.K), Temperature: orFloat(f.temperature, d.Temperature), Threshold: f.hybridThreshold}, nil
	}
	return heuristics.ByName(name)
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
