package pytorch

import (
	"fmt"
	"math/big"

	"github.com/nlpodyssey/gopickle/types"

	"github.com/transplant-dev/transplant/safetensors"
)

// storageTypes maps the storage classes torch.save names to dtypes.
var storageTypes = map[string]safetensors.Dtype{
	"FloatStorage":    safetensors.F32,
	"HalfStorage":     safetensors.F16,
	"BFloat16Storage": safetensors.BF16,
	"DoubleStorage":   safetensors.F64,
	"LongStorage":     safetensors.I64,
	"IntStorage":      safetensors.I32,
	"ShortStorage":    safetensors.I16,
	"CharStorage":     safetensors.I8,
	"ByteStorage":     safetensors.U8,
	"BoolStorage":     safetensors.BOOL,
}

// checkGlobal accepts exactly the globals a pickled state dict of plain
// tensors and parameters refers to.
func checkGlobal(module, name string) error {
	_, err := findClass(module, name)
	return err
}

// findClass is the unpickler's only way to globals: everything outside the
// allow-list is refused, so no pickled code can run or even be named.
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "collections.OrderedDict":
		return &types.OrderedDictClass{}, nil
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return rebuildParameter{}, nil
	}
	if module == "torch" {
		if dt, ok := storageTypes[name]; ok {
			return storageType{name: name, dtype: dt}, nil
		}
	}
	return nil, fmt.Errorf("%w %s.%s", ErrForbidden, module, name)
}

// storageType is a torch storage class such as torch.BFloat16Storage.
type storageType struct {
	name  string
	dtype safetensors.Dtype
}

// storageRef is what a persistent id resolves to: a storage of the archive.
type storageRef struct {
	key   string
	dtype safetensors.Dtype
	numel int64
}

// tensorRef is a tensor as _rebuild_tensor_v2 describes it.
type tensorRef struct {
	storage *storageRef
	offset  int64
	shape   []int
	stride  []int
}

// rebuildTensor stands for torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("%w: _rebuild_tensor_v2 with %d arguments", ErrFormat, len(args))
	}
	s, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("%w: _rebuild_tensor_v2 of a %T, not a storage", ErrFormat, args[0])
	}
	offset, ok := toInt(args[1])
	shape, ok2 := intTuple(args[2])
	stride, ok3 := intTuple(args[3])
	if !ok || !ok2 || !ok3 {
		return nil, fmt.Errorf("%w: _rebuild_tensor_v2 with malformed offset, size or stride", ErrFormat)
	}
	return &tensorRef{storage: s, offset: offset, shape: shape, stride: stride}, nil
}

// rebuildParameter stands for torch._utils._rebuild_parameter(data,
// requires_grad, backward_hooks[, state]): a parameter is its data.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("%w: _rebuild_parameter without data", ErrFormat)
	}
	if _, ok := args[0].(*tensorRef); !ok {
		return nil, fmt.Errorf("%w: _rebuild_parameter of a %T, not a tensor", ErrFormat, args[0])
	}
	return args[0], nil
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case *big.Int:
		return n.Int64(), n.IsInt64()
	}
	return 0, false
}

func intTuple(v any) ([]int, bool) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, false
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := toInt(t.Get(i))
		if !ok || n < 0 || n > 1<<40 {
			return nil, false
		}
		out[i] = int(n)
	}
	return out, true
}
