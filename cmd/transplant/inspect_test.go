package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runInspect(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"inspect"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

func TestInspectText(t *testing.T) {
	out, err := runInspect(t, "--tensors", "../../checkpoint/testdata/llama-st")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"architecture:  LlamaForCausalLM (llama)",
		"dtype:         BF16",
		"parameters:    248 (248)",
		"embedding:     model.embed_tokens.weight BF16 [24 4]",
		"head:          lm_head.weight BF16 [24 4]",
		"tied:          no",
		"embedding has 24 rows, vocab_size is 20",
		"tokenizer:     BPE, 6 ids, 3 added tokens (tokenizer.json)",
		`specials:      unk "<unk>"`,
		"tensors (6):",
		"model.layers.0.mlp.up_proj.weight       BF16  [8 4]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	out, err := runInspect(t, "--json", "../../checkpoint/testdata/gpt2-tied")
	if err != nil {
		t.Fatal(err)
	}
	var r inspectReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.Format != "pytorch" || !r.Tied || r.Head != nil || r.Embedding == nil || r.Embedding.Name != "transformer.wte.weight" ||
		r.Parameters != 72 || r.Tensors != nil || r.Architecture != "GPT2LMHeadModel" {
		t.Errorf("report %+v", r)
	}
}

func TestInspectErrors(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"../../pytorch/testdata/forbidden.bin", "forbidden pickle global posix.system"},
		{"does-not-exist", "no such file"},
	} {
		if _, err := runInspect(t, tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("inspect %s: err = %v, want %q", tc.path, err, tc.want)
		}
	}
}
