package forward

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
		{"gemma defaults; hidden_act ignored", `{"model_type":"gemma","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":16,"intermediate_size":16,"max_position_embeddings":32,"hidden_act":"gelu"}`,
			Config{ModelType: "gemma", KVHeads: 16, HeadDim: 256, RotaryDim: 256, NormEps: 1e-6, RopeTheta: 10000,
				Activation: "gelu_pytorch_tanh", BOS: 2, TieEmbeddings: true, ScaleEmbeddings: true, NormAddOne: true}},
		{"gemma hidden_activation", `{"architectures":["GemmaForCausalLM"],"vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
			"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,"intermediate_size":16,"max_position_embeddings":32,
			"hidden_act":"silu","hidden_activation":"gelu","tie_word_embeddings":false,"attention_bias":true}`,
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
		if s := c.RopeScaling; s != nil && s.Type == "longrope" && (len(s.ShortFactor) != c.RotaryDim/2 || len(s.LongFactor) != c.RotaryDim/2) {
			t.Fatalf("accepted LongRoPE factors %d/%d for %d frequencies", len(s.ShortFactor), len(s.LongFactor), c.RotaryDim/2)
		}
		if c.SlidingLayers != nil && len(c.SlidingLayers) != c.Layers {
			t.Fatalf("accepted %d sliding-window flags for %d layers", len(c.SlidingLayers), c.Layers)
		}
	})
}

// transformers 5 saves rope_theta, partial_rotary_factor and rope_scaling
// as one rope_parameters object: each golden config rewritten that way
// parses to the same Config.
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
			if _, ok := raw["rope_theta"]; !ok {
				t.Skip("no rotary embedding")
			}
			params := map[string]any{"rope_type": "default"}
			if sc, ok := raw["rope_scaling"].(map[string]any); ok {
				params = sc
			}
			for _, k := range []string{"rope_theta", "partial_rotary_factor"} {
				if v, ok := raw[k]; ok {
					params[k] = v
				}
				delete(raw, k)
			}
			delete(raw, "rope_scaling")
			raw["rope_parameters"] = params
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
