package checkpoint

import (
	"errors"
	"slices"
	"testing"
)

func TestConfigKeepsEverythingElse(t *testing.T) {
	in := `{
  "architectures": ["LlamaForCausalLM"],
  "vocab_size": 32000,
  "rms_norm_eps": 1e-05,
  "rope_theta": 10000.0,
  "rope_scaling": null,
  "name": "caf\u00e9",
  "bos_token_id": 1,
  "eos_token_id": [2, 3]
}`
	c, err := ParseConfig([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.VocabSize() != 32000 || !slices.Equal(c.TokenIDs("eos_token_id"), []int{2, 3}) ||
		!slices.Equal(c.TokenIDs("bos_token_id"), []int{1}) || c.TokenIDs("pad_token_id") != nil || c.TokenIDs("rope_scaling") != nil {
		t.Errorf("accessors: vocab %d, eos %v, bos %v", c.VocabSize(), c.TokenIDs("eos_token_id"), c.TokenIDs("bos_token_id"))
	}
	d := c.Clone()
	d.SetVocabSize(50257)
	d.Set("eos_token_id", 50256)
	d.Set("pad_token_id", 0)
	out, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "architectures": [
    "LlamaForCausalLM"
  ],
  "vocab_size": 50257,
  "rms_norm_eps": 1e-05,
  "rope_theta": 10000.0,
  "rope_scaling": null,
  "name": "caf\u00e9",
  "bos_token_id": 1,
  "eos_token_id": 50256,
  "pad_token_id": 0
}
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if c.VocabSize() != 32000 {
		t.Error("Clone shares state with the original")
	}
	d.Delete("name")
	if _, ok := d.Raw("name"); ok || slices.Contains(d.Keys(), "name") {
		t.Error("Delete left the key")
	}
}

func TestConfigTextConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"model_type":"gemma3","text_config":{"hidden_size":8,"vocab_size":100}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.VocabSize() != 100 {
		t.Errorf("VocabSize = %d", c.VocabSize())
	}
	c.SetVocabSize(7)
	out, _ := c.MarshalJSON()
	if string(out) != `{"model_type":"gemma3","text_config":{"hidden_size":8,"vocab_size":7}}` {
		t.Errorf("got %s", out)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"a":1`, `{"a":1} x`, `{"a" 1}`} {
		if _, err := ParseConfig([]byte(in)); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseConfig(%q): %v", in, err)
		}
	}
}

func TestLookupArchitecture(t *testing.T) {
	tests := []struct {
		config string
		class  string
		tie    bool
	}{
		{`{"architectures":["MistralForCausalLM"]}`, "MistralForCausalLM", false},
		{`{"architectures":["Custom","Gemma2ForCausalLM"]}`, "Gemma2ForCausalLM", true},
		{`{"model_type":"gpt2"}`, "GPT2LMHeadModel", true},
		{`{"model_type":"qwen3"}`, "Qwen3ForCausalLM", false},
		{`{"architectures":["Phi3ForCausalLM"]}`, "Phi3ForCausalLM", false},
	}
	for _, tc := range tests {
		c, _ := ParseConfig([]byte(tc.config))
		a, ok := LookupArchitecture(c)
		if !ok || a.Class != tc.class || a.TieDefault != tc.tie {
			t.Errorf("%s: %q tie %v (%v)", tc.config, a.Class, a.TieDefault, ok)
		}
	}
	c, _ := ParseConfig([]byte(`{"architectures":["T5ForConditionalGeneration"],"model_type":"t5"}`))
	if _, ok := LookupArchitecture(c); ok {
		t.Error("T5 is not in the table")
	}
}
