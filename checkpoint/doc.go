// Package checkpoint reads and writes Hugging Face model directories.
//
// Open takes a model directory (config.json with model.safetensors, a
// sharded model.safetensors.index.json, pytorch_model.bin or its sharded
// index) or a single weights file, and returns a *Model: the parsed Config,
// the model's entry in the Architecture table (where its input embedding
// and output head live, and whether they are tied), and a lazy view of every
// tensor whatever file and format it is in. Float32, ReadRows and Table
// widen tensors to float32; Reader streams a tensor's bytes unchanged.
//
// WriteDir writes a new model directory from a base *Model: replacement
// tensors for some names, an updated config and extra files, every other
// tensor copied bit for bit. It writes into a temporary sibling directory
// and renames it into place only when everything succeeded, so a failure
// never leaves a partial output.
package checkpoint
