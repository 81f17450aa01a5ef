package forward

import (
	"encoding/json"
	"fmt"
)

// Layer types of transformers' layer_types and per-type rope_parameters.
const (
	fullAttention    = "full_attention"
	slidingAttention = "sliding_attention"
)

// fromLayerRopes reads Gemma 3's two rotary embeddings. transformers 4
// gives global layers rope_theta and rope_scaling and sliding-window layers
// rope_local_base_freq without scaling; transformers 5 writes rope_parameters
// with one object per layer type. As there, a value inside an object wins
// over its top-level spelling, and a rope_scaling still present wins over
// the keys of full_attention.
func (c *Config) fromLayerRopes(raw *rawConfig, a architecture) error {
	var per map[string]json.RawMessage
	if present(raw.RopeParameters) {
		if err := json.Unmarshal(raw.RopeParameters, &per); err != nil {
			return fmt.Errorf("%w: rope_parameters: %v", ErrConfig, err)
		}
		for k := range per {
			if k != fullAttention && k != slidingAttention {
				return fmt.Errorf("%w: rope_parameters of %s holds %q; want one object per layer type (%s, %s)",
					ErrConfig, c.ModelType, k, fullAttention, slidingAttention)
			}
		}
	}
	full, err := overlay(per[fullAttention], raw.RopeScaling)
	if err != nil {
		return fmt.Errorf("%w: rope_parameters %s with rope_scaling: %v", ErrConfig, fullAttention, err)
	}
	c.RopeTheta, c.RopeScaling, err = c.layerRope(fullAttention, full, or(raw.RopeTheta, a.thetaDefault), raw)
	if err != nil {
		return err
	}
	c.LocalRopeTheta, c.LocalRopeScaling, err = c.layerRope(slidingAttention, per[slidingAttention],
		or(raw.RopeLocalBase, a.localThetaDefault), raw)
	if err != nil {
		return err
	}
	return c.rotaryDim(raw.PartialRotary, a)
}

// layerRope reads the rope_parameters object of one layer type: its
// rope_theta (theta when absent) and its scaling.
func (c *Config) layerRope(layerType string, params json.RawMessage, theta float64, raw *rawConfig) (float64, *RopeScaling, error) {
	var inner struct {
		Theta   *float64 `json:"rope_theta"`
		Partial *float64 `json:"partial_rotary_factor"`
	}
	if present(params) {
		if err := json.Unmarshal(params, &inner); err != nil {
			return 0, nil, fmt.Errorf("%w: rope_parameters %s: %v", ErrConfig, layerType, err)
		}
	}
	if f := or(inner.Partial, 1); f != 1 {
		return 0, nil, fmt.Errorf("%w: partial_rotary_factor %g in rope_parameters %s", ErrUnsupported, f, layerType)
	}
	s, err := parseRopeScaling(params, c.MaxPositions, raw.OriginalMaxPositions)
	if err != nil {
		return 0, nil, fmt.Errorf("rope_parameters %s: %w", layerType, err)
	}
	return or(inner.Theta, theta), s, nil
}

// overlay returns the JSON object base with the keys of top set over it;
// either may be absent or null.
func overlay(base, top json.RawMessage) (json.RawMessage, error) {
	if !present(top) {
		return base, nil
	}
	if !present(base) {
		return top, nil
	}
	var b, t map[string]json.RawMessage
	if err := json.Unmarshal(base, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(top, &t); err != nil {
		return nil, err
	}
	for k, v := range t {
		b[k] = v
	}
	return json.Marshal(b)
}

// present reports whether a config.json value is there and not null.
func present(v json.RawMessage) bool { return len(v) > 0 && string(v) != "null" }
