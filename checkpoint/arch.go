package checkpoint

import "slices"

// Architecture says where a model family keeps its input embedding and
// output head, and whether they are tied when config.json does not say.
// Supporting a new family is one more entry in the table below.
type Architecture struct {
	// Class is the transformers model class, as in config.json's
	// "architectures"; ModelType is config.json's "model_type".
	Class, ModelType string
	// Embedding and Head are the tensor names of the input embedding and
	// the output projection (rows = vocabulary); HeadBias names the head's
	// bias, "" when it has none.
	Embedding, Head, HeadBias string
	// Prefix is the base model's name prefix ("model.", "transformer."):
	// checkpoints saved from the bare base model lack it, and transformers
	// adds it back when loading them.
	Prefix string
	// TieDefault is the class's default for tie_word_embeddings.
	TieDefault bool
}

// Tied reports whether a model of this architecture with config c ties
// its output head to its input embedding: tie_word_embeddings when c says,
// else the class's default. This is the one tie rule of the project; a
// checkpoint that stores no head is read as tied besides (Model.Tied).
func (a Architecture) Tied(c *Config) bool {
	if c != nil {
		if tie, ok := c.TieWordEmbeddings(); ok {
			return tie
		}
	}
	return a.TieDefault
}

// decoder is the layout most decoder-only families share.
func decoder(class, modelType string, tie bool) Architecture {
	return Architecture{Class: class, ModelType: modelType, Embedding: "model.embed_tokens.weight",
		Head: "lm_head.weight", Prefix: "model.", TieDefault: tie}
}

var architectures = []Architecture{
	decoder("LlamaForCausalLM", "llama", false),
	decoder("MistralForCausalLM", "mistral", false),
	decoder("MixtralForCausalLM", "mixtral", false),
	decoder("Qwen2ForCausalLM", "qwen2", false),
	decoder("Qwen2MoeForCausalLM", "qwen2_moe", false),
	decoder("Qwen3ForCausalLM", "qwen3", false),
	decoder("Qwen3MoeForCausalLM", "qwen3_moe", false),
	decoder("Phi3ForCausalLM", "phi3", false),
	decoder("OlmoForCausalLM", "olmo", false),
	decoder("Olmo2ForCausalLM", "olmo2", false),
	decoder("StableLmForCausalLM", "stablelm", false),
	decoder("Starcoder2ForCausalLM", "starcoder2", true),
	decoder("SmolLM3ForCausalLM", "smollm3", true),
	decoder("GemmaForCausalLM", "gemma", true),
	decoder("Gemma2ForCausalLM", "gemma2", true),
	decoder("Gemma3ForCausalLM", "gemma3_text", true),
	{Class: "PhiForCausalLM", ModelType: "phi", Embedding: "model.embed_tokens.weight", Head: "lm_head.weight",
		HeadBias: "lm_head.bias", Prefix: "model."},
	{Class: "GPT2LMHeadModel", ModelType: "gpt2", Embedding: "transformer.wte.weight", Head: "lm_head.weight",
		Prefix: "transformer.", TieDefault: true},
	{Class: "GPTJForCausalLM", ModelType: "gptj", Embedding: "transformer.wte.weight", Head: "lm_head.weight",
		HeadBias: "lm_head.bias", Prefix: "transformer."},
	{Class: "GPTNeoXForCausalLM", ModelType: "gpt_neox", Embedding: "gpt_neox.embed_in.weight", Head: "embed_out.weight",
		Prefix: "gpt_neox."},
	{Class: "FalconForCausalLM", ModelType: "falcon", Embedding: "transformer.word_embeddings.weight", Head: "lm_head.weight",
		Prefix: "transformer.", TieDefault: true},
	{Class: "BloomForCausalLM", ModelType: "bloom", Embedding: "transformer.word_embeddings.weight", Head: "lm_head.weight",
		Prefix: "transformer.", TieDefault: true},
	{Class: "OPTForCausalLM", ModelType: "opt", Embedding: "model.decoder.embed_tokens.weight", Head: "lm_head.weight",
		Prefix: "model.", TieDefault: true},
}

// Architectures returns the table of known architectures.
func Architectures() []Architecture { return slices.Clone(architectures) }

// LookupArchitecture finds the table entry for a config: by the first class
// in "architectures" that the table knows, then by "model_type".
func LookupArchitecture(c *Config) (Architecture, bool) {
	for _, class := range c.Architectures() {
		for _, a := range architectures {
			if a.Class == class {
				return a, true
			}
		}
	}
	if mt := c.ModelType(); mt != "" {
		return LookupModelType(mt)
	}
	return Architecture{}, false
}

// LookupModelType finds the table entry for a config.json "model_type".
func LookupModelType(modelType string) (Architecture, bool) {
	for _, a := range architectures {
		if a.ModelType == modelType {
			return a, true
		}
	}
	return Architecture{}, false
}

// guessArchitecture finds the first entry whose embedding tensor is present,
// for a bare weights file with no config.json.
func guessArchitecture(has func(string) bool) (Architecture, bool) {
	for _, a := range architectures {
		if has(a.Embedding) {
			return a, true
		}
	}
	return Architecture{}, false
}
