// Package pytorch reads the state dicts that torch.save writes
// (pytorch_model.bin), without executing pickled code and without loading
// tensor data until it is asked for.
//
// A checkpoint is a pickle that describes each tensor (storage, dtype,
// offset, shape, strides) plus the storages' raw bytes. Open unpickles the
// description with gopickle under an allow-list: only the globals a plain
// torch.save(state_dict) needs are accepted, the way
// torch.load(weights_only=True) restricts them, and any other global is
// refused with ErrForbidden naming it. Storage bytes are never copied at
// Open: in the zip format (torch >= 1.6) torch stores each storage
// uncompressed, so a tensor is a byte range of the file; the legacy format
// (torch.save with _use_new_zipfile_serialization=False) is read the same
// way after one pass over its storage headers.
//
// Tensors are described in safetensors' vocabulary (safetensors.Dtype), the
// format transplant writes. Views with offsets and strides, parameters and
// tensors sharing a storage are supported; Reader and ReadFloat32 return
// elements in row-major order whatever the strides.
package pytorch
