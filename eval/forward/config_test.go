package forward

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/checkpoint"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name string
		json string
		want Config // compared on the fields set here
	}{
		{"llama defaults", `{"model_type":"llama","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32}`,
			Config{ModelType: "llama", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000, Activation: "silu", BOS: 1}},
		{"null bos, mistral's default window", `{"model_type":"mistral","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32,"bos_token_id":null}`,
			Config{ModelType: "mistral", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000, Activation: "silu", BOS: -1, SlidingWindow: 4096}},
		{"null window", `{"model_type":"mistral","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32,"sliding_window":null}`,
			Config{ModelType: "mistral", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000, Activation: "silu", BOS: 1}},
		{"gqa and explicit head_dim", `{"model_type":"qwen3","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":4,"num_key_value_heads":2,"head_dim":6,"intermediate_size":16,
			"max_position_embeddings":32,"bos_token_id":3,"tie_word_embeddings":true}`,
			Config{ModelType: "qwen3", KVHeads: 2, HeadDim: 6, RotaryDim: 6, NormEps: 1e-6, RopeTheta: 10000, Activation: "silu", BOS: 3, QKNorm: true, TieEmbeddings: true}},
		{"model_type from architectures", `{"architectures":["MistralForCausalLM"],"vocab_size":10,"hidden_size":8,
			"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":null,"head_dim":null,
			"intermediate_size":16,"max_position_embeddings":32,"sliding_window":4096}`,
			Config{ModelType: "mistral", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000, Activation: "silu", BOS: 1, SlidingWindow: 4096}},
		{"qwen2 biases without a config key", `{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32,"use_sliding_window":false,"sliding_window":16}`,
			Config{ModelType: "qwen2", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000, Activation: "silu", BOS: -1, AttentionBias: true}},
		{"phi3 as Phi-4-mini: partial rotary, window, su scaling", `{"model_type":"phi3","vocab_size":10,"hidden_size":8,
			"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32,
			"original_max_position_embeddings":8,"partial_rotary_factor":0.5,"sliding_window":6,
			"rope_scaling":{"type":"su","short_factor":[1],"long_factor":[2]}}`,
			Config{ModelType: "phi3", KVHeads: 2, HeadDim: 4, RotaryDim: 2, NormEps: 1e-5, RopeTheta: 10000,
				Activation: "silu", BOS: 1, SlidingWindow: 6}},
		{"phi3 without a window", `{"architectures":["Phi3ForCausalLM"],"vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32}`,
			Config{ModelType: "phi3", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-5, RopeTheta: 10000, Activation: "silu", BOS: 1}},
		{"gemma defaults", `{"model_type":"gemma","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":16,"intermediate_size":16,"max_position_embeddings":32}`,
			Config{ModelType: "gemma", KVHeads: 16, HeadDim: 256, RotaryDim: 256, NormEps: 1e-6, RopeTheta: 10000,
				Activation: "gelu_pytorch_tanh", BOS: 2, TieEmbeddings: true, ScaleEmbeddings: true, NormAddOne: true}},
		{"gemma hidden_act over hidden_activation", `{"architectures":["GemmaForCausalLM"],"vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,"intermediate_size":16,"max_position_embeddings":32,
			"hidden_act":"gelu","hidden_activation":"silu","tie_word_embeddings":false,"attention_bias":true}`,
			Config{ModelType: "gemma", KVHeads: 1, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000, Activation: "gelu",
				BOS: 2, ScaleEmbeddings: true, NormAddOne: true, AttentionBias: true, OutputBias: true}},
		{"gemma2 defaults", `{"model_type":"gemma2","vocab_size":10,"hidden_size":8,"num_hidden_layers":3,
			"num_attention_heads":8,"intermediate_size":16,"max_position_embeddings":32}`,
			Config{ModelType: "gemma2", KVHeads: 4, HeadDim: 256, RotaryDim: 256, NormEps: 1e-6, RopeTheta: 10000,
				Activation: "gelu_pytorch_tanh", BOS: 2, TieEmbeddings: true, ScaleEmbeddings: true, NormAddOne: true,
				SlidingWindow: 4096, SlidingLayers: []bool{true, false, true}, PostNorms: true, QueryPreAttnScalar: 256,
				AttnSoftcap: 50, FinalSoftcap: 30}},
		{"gemma2 layer_types, no softcaps", `{"architectures":["Gemma2ForCausalLM"],"vocab_size":10,"hidden_size":8,"num_hidden_layers":2,
			"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,"intermediate_size":16,"max_position_embeddings":32,
			"layer_types":["full_attention","sliding_attention"],"sliding_window":null,"query_pre_attn_scalar":6,
			"attn_logit_softcapping":null,"final_logit_softcapping":null}`,
			Config{ModelType: "gemma2", KVHeads: 1, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 10000,
				Activation: "gelu_pytorch_tanh", BOS: 2, TieEmbeddings: true, ScaleEmbeddings: true, NormAddOne: true,
				SlidingLayers: []bool{false, true}, PostNorms: true, QueryPreAttnScalar: 6}},
		{"transformers 5 rope_parameters", `{"model_type":"qwen3","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32,"rope_theta":null,
			"rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"}}`,
			Config{ModelType: "qwen3", KVHeads: 2, HeadDim: 4, RotaryDim: 4, NormEps: 1e-6, RopeTheta: 1e6, Activation: "silu",
				BOS: -1, QKNorm: true}},
		{"gpt2", `{"model_type":"gpt2","vocab_size":10,"n_embd":8,"n_layer":1,"n_head":2,"n_positions":32,"n_inner":null}`,
			Config{ModelType: "gpt2", KVHeads: 2, HeadDim: 4, NormEps: 1e-5, Activation: "gelu_new", BOS: 50256,
				TieEmbeddings: true, AttentionBias: true, OutputBias: true, MLPBias: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			w := tc.want
			got := Config{ModelType: c.ModelType, KVHeads: c.KVHeads, HeadDim: c.HeadDim, NormEps: c.NormEps,
				RopeTheta: c.RopeTheta, Activation: c.Activation, BOS: c.BOS, QKNorm: c.QKNorm,
				TieEmbeddings: c.TieEmbeddings, SlidingWindow: c.SlidingWindow, AttentionBias: c.AttentionBias,
				OutputBias: c.OutputBias, MLPBias: c.MLPBias, RotaryDim: c.RotaryDim, ScaleEmbeddings: c.ScaleEmbeddings,
				NormAddOne: c.NormAddOne, SlidingLayers: c.SlidingLayers, PostNorms: c.PostNorms,
				QueryPreAttnScalar: c.QueryPreAttnScalar, AttnSoftcap: c.AttnSoftcap, FinalSoftcap: c.FinalSoftcap}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	const base = `"vocab_size":10,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32`
	cases := []struct {
		name string
		json string
		want error
	}{
		{"not json", `{`, ErrConfig},
		{"unknown model_type", `{"model_type":"mamba",` + base + `}`, ErrUnsupported},
		{"no model_type", `{` + base + `}`, ErrUnsupported},
		{"missing hidden_size", `{"model_type":"llama","vocab_size":10,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32}`, ErrConfig},
		{"gpt2 missing n_embd", `{"model_type":"gpt2","vocab_size":10,"n_layer":1,"n_head":2,"n_positions":32}`, ErrConfig},
		{"heads not a multiple of kv heads", `{"model_type":"llama","num_key_value_heads":3,` + base + `}`, ErrConfig},
		{"odd head_dim", `{"model_type":"llama","head_dim":5,` + base + `}`, ErrConfig},
		{"zero layers", `{"model_type":"llama","vocab_size":10,"hidden_size":8,"num_hidden_layers":0,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":32}`, ErrConfig},
		{"yarn scaling", `{"model_type":"llama","rope_scaling":{"rope_type":"yarn","factor":4},` + base + `}`, ErrUnsupported},
		{"dynamic scaling, old spelling", `{"model_type":"llama","rope_scaling":{"type":"dynamic","factor":2},` + base + `}`, ErrUnsupported},
		{"llama3 scaling without its factors", `{"model_type":"llama","rope_scaling":{"rope_type":"llama3","factor":8},` + base + `}`, ErrConfig},
		{"linear scaling without factor", `{"model_type":"llama","rope_scaling":{"type":"linear"},` + base + `}`, ErrConfig},
		{"qwen2 sliding windows", `{"model_type":"qwen2","use_sliding_window":true,"sliding_window":4,` + base + `}`, ErrUnsupported},
		{"partial rotary", `{"model_type":"llama","partial_rotary_factor":0.5,` + base + `}`, ErrUnsupported},
		{"partial rotary out of range", `{"model_type":"phi3","partial_rotary_factor":1.5,` + base + `}`, ErrConfig},
		{"odd rotary dimension", `{"model_type":"phi3","partial_rotary_factor":0.75,` + base + `}`, ErrConfig},
		{"phi3 yarn", `{"model_type":"phi3","rope_scaling":{"type":"yarn","factor":2},` + base + `}`, ErrUnsupported},
		{"longrope without factors", `{"model_type":"phi3","original_max_position_embeddings":16,"rope_scaling":{"type":"longrope"},` + base + `}`, ErrConfig},
		{"longrope without original context", `{"model_type":"phi3","rope_scaling":{"type":"longrope","short_factor":[1,1],"long_factor":[1,1]},` + base + `}`, ErrConfig},
		{"longrope factors of the wrong length", `{"model_type":"phi3","original_max_position_embeddings":16,"rope_scaling":{"type":"longrope","short_factor":[1],"long_factor":[1]},` + base + `}`, ErrConfig},
		{"longrope zero factor", `{"model_type":"phi3","original_max_position_embeddings":16,"rope_scaling":{"type":"longrope","short_factor":[1,0],"long_factor":[1,1]},` + base + `}`, ErrConfig},
		{"gemma2 layer_types too short", `{"model_type":"gemma2","num_key_value_heads":2,"layer_types":[],` + base + `}`, ErrConfig},
		{"gemma2 chunked layers", `{"model_type":"gemma2","num_key_value_heads":2,"layer_types":["chunked_attention"],` + base + `}`, ErrUnsupported},
		{"gemma2 negative softcap", `{"model_type":"gemma2","num_key_value_heads":2,"attn_logit_softcapping":-1,` + base + `}`, ErrConfig},
		{"gemma2 softcap not a number", `{"model_type":"gemma2","num_key_value_heads":2,"final_logit_softcapping":"30",` + base + `}`, ErrConfig},
		{"bidirectional gemma", `{"model_type":"gemma","use_bidirectional_attention":true,` + base + `}`, ErrUnsupported},
		{"rope_parameters per layer type", `{"model_type":"gemma2","num_key_value_heads":2,"rope_parameters":{"full_attention":{"rope_theta":1e6},"sliding_attention":{"rope_theta":1e4}},` + base + `}`, ErrUnsupported},
		{"rope_parameters not an object", `{"model_type":"llama","rope_parameters":[1e6],` + base + `}`, ErrConfig},
		{"rope_parameters yarn", `{"model_type":"qwen3","rope_parameters":{"rope_type":"yarn","rope_theta":1e6,"factor":4},` + base + `}`, ErrUnsupported},
		{"unknown activation", `{"model_type":"llama","hidden_act":"swiglu_oai",` + base + `}`, ErrUnsupported},
		{"bos not an integer", `{"model_type":"llama","bos_token_id":"<s>",` + base + `}`, ErrConfig},
		{"window not an integer", `{"model_type":"mistral","sliding_window":[4],` + base + `}`, ErrConfig},
		{"negative window", `{"model_type":"mistral","sliding_window":-1,` + base + `}`, ErrConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestReadConfigNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"model_type":"bert"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadConfig(path)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want ErrUnsupported naming %s", err, path)
	}
}

// FuzzParseConfig: any input gives a config the model can be built on or an
// error, never a panic. Seeds are in testdata/fuzz/FuzzParseConfig.
func FuzzParseConfig(f *testing.F) {
	for _, name := range goldenCases {
		if b, err := os.ReadFile(filepath.Join("testdata", name, "config.json")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if c.Hidden <= 0 || c.Heads <= 0 || c.KVHeads <= 0 || c.Heads%c.KVHeads != 0 || c.HeadDim <= 0 || c.VocabSize <= 0 {
			t.Fatalf("accepted impossible config %+v", c)
		}
		if _, ok := activations[c.Activation]; !ok {
			t.Fatalf("accepted unknown activation %q", c.Activation)
		}
		if c.family() == llamaFamily && (c.RotaryDim <= 0 || c.RotaryDim%2 != 0 || c.RotaryDim > c.HeadDim) {
			t.Fatalf("accepted rotary dimension %d of head_dim %d", c.RotaryDim, c.HeadDim)
		}
		for _, s := range []*RopeScaling{c.RopeScaling, c.LocalRopeScaling} {
			if s != nil && s.Type == "longrope" && (len(s.ShortFactor) != c.RotaryDim/2 || len(s.LongFactor) != c.RotaryDim/2) {
				t.Fatalf("accepted LongRoPE factors %d/%d for %d frequencies", len(s.ShortFactor), len(s.LongFactor), c.RotaryDim/2)
			}
		}
		if c.LocalRopeTheta < 0 || (c.LocalRopeScaling != nil && c.LocalRopeTheta == 0) {
			t.Fatalf("accepted local RoPE base %g with scaling %+v", c.LocalRopeTheta, c.LocalRopeScaling)
		}
		if c.SlidingLayers != nil && len(c.SlidingLayers) != c.Layers {
			t.Fatalf("accepted %d sliding-window flags for %d layers", len(c.SlidingLayers), c.Layers)
		}
	})
}

// transformers 5 saves rope_theta, partial_rotary_factor and rope_scaling
// as one rope_parameters object, and Gemma 3's two rotary embeddings as one
// such object per layer type: each golden config rewritten that way parses
// to the same Config.
func TestRopeParametersSpelling(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := ParseConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			if want.family() != llamaFamily {
				t.Skip("no rotary embedding")
			}
			raw["rope_parameters"] = v5RopeParameters(raw)
			v5, err := json.Marshal(raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(v5)
			if err != nil {
				t.Fatalf("%s: %v", v5, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rope_parameters spelling\n got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// v5RopeParameters moves a transformers 4 config's rotary settings into
// transformers 5's rope_parameters, deleting them from raw.
func v5RopeParameters(raw map[string]any) map[string]any {
	take := func(params map[string]any, key, as string) map[string]any {
		if v, ok := raw[key]; ok {
			params[as] = v
		}
		delete(raw, key)
		return params
	}
	params := map[string]any{"rope_type": "default"}
	if sc, ok := raw["rope_scaling"].(map[string]any); ok {
		params = sc
	}
	delete(raw, "rope_scaling")
	take(params, "rope_theta", "rope_theta")
	if raw["model_type"] == "gemma3_text" {
		local := take(map[string]any{"rope_type": "default"}, "rope_local_base_freq", "rope_theta")
		return map[string]any{fullAttention: params, slidingAttention: local}
	}
	return take(params, "partial_rotary_factor", "partial_rotary_factor")
}

// Gemma 3 text configs parse to the Config Gemma3TextConfig describes:
// its defaults for anything left out, sliding_window_pattern or layer_types
// for the windowed layers, and the two rotary embeddings in transformers 4's
// spelling (rope_theta, rope_scaling, rope_local_base_freq) or 5's
// (rope_parameters per layer type).
func TestParseGemma3TextConfig(t *testing.T) {
	// every returns n sliding-window flags with every k-th layer global.
	every := func(n, k int) []bool {
		s := make([]bool, n)
		for i := range s {
			s[i] = (i+1)%k != 0
		}
		return s
	}
	small := func(edit func(*Config)) Config {
		c := Config{ModelType: "gemma3_text", VocabSize: 10, Hidden: 8, Layers: 7, Heads: 2, KVHeads: 1,
			HeadDim: 4, RotaryDim: 4, Intermediate: 16, NormEps: 1e-6, Activation: "gelu_pytorch_tanh",
			MaxPositions: 32, TieEmbeddings: true, QKNorm: true, SlidingWindow: 512, RopeTheta: 1e6,
			LocalRopeTheta: 1e4, ScaleEmbeddings: true, NormAddOne: true, SlidingLayers: every(7, 6),
			PostNorms: true, QueryPreAttnScalar: 256, BOS: 2}
		edit(&c)
		return c
	}
	const sizes = `"vocab_size":10,"hidden_size":8,"num_hidden_layers":7,"num_attention_heads":2,"num_key_value_heads":1,
		"head_dim":4,"intermediate_size":16,"max_position_embeddings":32,"sliding_window":512`
	linear8 := &RopeScaling{Type: "linear", Factor: 8}
	cases := []struct {
		name, json string
		want       Config
	}{
		{"defaults", `{"model_type":"gemma3_text"}`, Config{ModelType: "gemma3_text", VocabSize: 262208, Hidden: 2304,
			Layers: 26, Heads: 8, KVHeads: 4, HeadDim: 256, RotaryDim: 256, Intermediate: 9216, NormEps: 1e-6,
			Activation: "gelu_pytorch_tanh", MaxPositions: 131072, TieEmbeddings: true, QKNorm: true,
			SlidingWindow: 4096, RopeTheta: 1e6, LocalRopeTheta: 1e4, ScaleEmbeddings: true, NormAddOne: true,
			SlidingLayers: every(26, 6), PostNorms: true, QueryPreAttnScalar: 256, BOS: 2}},
		{"transformers 4 spelling, as gemma-3-4b's text_config", `{"architectures":["Gemma3ForCausalLM"],` + sizes + `,
			"rope_theta":500000,"rope_local_base_freq":20000,"rope_scaling":{"rope_type":"linear","factor":8},
			"sliding_window_pattern":3,"attn_logit_softcapping":null,"final_logit_softcapping":null,
			"query_pre_attn_scalar":6,"bos_token_id":null}`,
			small(func(c *Config) {
				c.RopeTheta, c.LocalRopeTheta, c.RopeScaling = 5e5, 2e4, linear8
				c.SlidingLayers, c.QueryPreAttnScalar, c.BOS = every(7, 3), 6, -1
			})},
		{"transformers 5 spelling", `{"model_type":"gemma3_text",` + sizes + `,
			"layer_types":["full_attention","sliding_attention","sliding_attention","full_attention",
				"sliding_attention","sliding_attention","sliding_attention"],
			"rope_parameters":{"full_attention":{"rope_type":"linear","factor":8,"rope_theta":1000000},
				"sliding_attention":{"rope_type":"default","rope_theta":10000}}}`,
			small(func(c *Config) {
				c.RopeScaling = linear8
				c.SlidingLayers = []bool{false, true, true, false, true, true, true}
			})},
		{"rope_scaling over full_attention; top-level thetas as defaults; scaled local layers",
			`{"model_type":"gemma3_text",` + sizes + `,"rope_theta":2e6,"rope_local_base_freq":5e3,
			"rope_scaling":{"rope_type":"linear","factor":4},
			"rope_parameters":{"full_attention":{"rope_type":"linear","factor":8},
				"sliding_attention":{"rope_type":"linear","factor":2}}}`,
			small(func(c *Config) {
				c.RopeTheta, c.LocalRopeTheta = 2e6, 5e3
				c.RopeScaling = &RopeScaling{Type: "linear", Factor: 4}
				c.LocalRopeScaling = &RopeScaling{Type: "linear", Factor: 2}
			})},
		{"soft-capping when asked", `{"model_type":"gemma3_text",` + sizes + `,"attn_logit_softcapping":50,
			"final_logit_softcapping":30,"sliding_window":null,"tie_word_embeddings":false}`,
			small(func(c *Config) {
				c.AttnSoftcap, c.FinalSoftcap, c.SlidingWindow, c.TieEmbeddings = 50, 30, 0, false
			})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*c, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *c, tc.want)
			}
		})
	}
}

func TestParseGemma3ConfigErrors(t *testing.T) {
	const base = `"vocab_size":10,"hidden_size":8,"num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":1,
		"head_dim":4,"intermediate_size":16,"max_position_embeddings":32`
	cases := []struct {
		name, json string
		want       error
	}{
		{"multimodal model_type", `{"model_type":"gemma3","text_config":{"model_type":"gemma3_text",` + base + `}}`, ErrUnsupported},
		{"multimodal class", `{"architectures":["Gemma3ForConditionalGeneration"],"text_config":{` + base + `}}`, ErrUnsupported},
		{"flat rope_parameters", `{"model_type":"gemma3_text",` + base + `,"rope_parameters":{"rope_type":"default","rope_theta":1e6}}`, ErrConfig},
		{"rope_parameters not objects", `{"model_type":"gemma3_text",` + base + `,"rope_parameters":{"full_attention":8}}`, ErrConfig},
		{"rope_scaling not an object", `{"model_type":"gemma3_text",` + base + `,"rope_scaling":[8],"rope_parameters":{"full_attention":{}}}`, ErrConfig},
		{"yarn on global layers", `{"model_type":"gemma3_text",` + base + `,"rope_scaling":{"rope_type":"yarn","factor":8}}`, ErrUnsupported},
		{"yarn on local layers", `{"model_type":"gemma3_text",` + base + `,"rope_parameters":{"sliding_attention":{"rope_type":"yarn","factor":8}}}`, ErrUnsupported},
		{"partial rotary", `{"model_type":"gemma3_text",` + base + `,"partial_rotary_factor":0.5}`, ErrUnsupported},
		{"partial rotary per layer type", `{"model_type":"gemma3_text",` + base + `,"rope_parameters":{"full_attention":{"partial_rotary_factor":0.5}}}`, ErrUnsupported},
		{"negative local base", `{"model_type":"gemma3_text",` + base + `,"rope_local_base_freq":-1}`, ErrConfig},
		{"zero sliding_window_pattern", `{"model_type":"gemma3_text",` + base + `,"sliding_window_pattern":0}`, ErrConfig},
		{"bidirectional", `{"model_type":"gemma3_text",` + base + `,"use_bidirectional_attention":true}`, ErrUnsupported},
		{"layer_types too short", `{"model_type":"gemma3_text",` + base + `,"layer_types":["full_attention"]}`, ErrConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// Every model_type the forward pass runs has its row in package
// checkpoint's table, where its class, tensors and tie rule live.
func TestArchitecturesInCheckpointTable(t *testing.T) {
	for mt := range architectures {
		if _, ok := checkpoint.LookupModelType(mt); !ok {
			t.Errorf("model_type %q has no row in checkpoint's architecture table", mt)
		}
	}
}
