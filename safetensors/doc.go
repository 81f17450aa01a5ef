// Package safetensors reads and writes the safetensors format that Hugging
// Face uses for model weights.
//
// A safetensors file is an 8-byte little-endian header length, a JSON header
// naming every tensor with its dtype, shape and byte range, and then the
// tensor bytes back to back. Open parses and validates the header and keeps
// only the file handle: tensor bytes are read on demand through io.ReaderAt,
// so a file larger than memory costs nothing until a tensor is asked for.
// Float32 and ReadFloat32 widen F64, F32, F16 and BF16 tensors to float32 in
// bounded chunks; other dtypes are carried as opaque bytes through Reader.
//
// Writer is the mirror image: it writes the header first, from the list of
// tensors the caller declares, and then takes each tensor's bytes in
// declaration order, so a model is written without ever being held in
// memory. When both ends are regular files the bytes move inside the kernel
// (copy_file_range on Linux).
//
// Large checkpoints are split into shards named by ShardName and listed in an
// Index (model.safetensors.index.json); PlanShards splits a tensor list the
// way transformers' save_pretrained does with max_shard_size.
//
// ToFloat32 and FromFloat32 convert between float32 and the on-disk float
// encodings; narrowing rounds to nearest, ties to even, as torch does.
package safetensors
