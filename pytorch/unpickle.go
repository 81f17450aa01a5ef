package pytorch

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// unpickle checks the pickle in data with scanPickle and then builds its
// value with gopickle, resolving persistent ids with load. Any panic in the
// third-party unpickler on hostile input becomes an error.
func unpickle(data []byte, load func(id *types.Tuple) (any, error)) (v any, err error) {
	if _, err := scanPickle(bufio.NewReader(bytes.NewReader(data)), int64(len(data))); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: malformed pickle (%v)", ErrFormat, r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || load == nil {
			return nil, fmt.Errorf("%w: unexpected persistent id %T", ErrFormat, id)
		}
		return load(t)
	}
	v, err = u.Load()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return v, nil
}

// namedTensor is one entry of a state dict.
type namedTensor struct {
	name string
	t    *tensorRef
}

// stateDict lists the entries of the unpickled root object, which must be a
// dict (ordered or not) from names to tensors.
func stateDict(root any) ([]namedTensor, error) {
	var keys, values []any
	switch d := root.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			entry := e.Value.(*types.OrderedDictEntry)
			keys, values = append(keys, entry.Key), append(values, entry.Value)
		}
	case *types.Dict:
		for _, entry := range *d {
			keys, values = append(keys, entry.Key), append(values, entry.Value)
		}
	default:
		return nil, fmt.Errorf("%w: the pickle holds a %s, not a state dict", ErrFormat, describe(root))
	}
	out := make([]namedTensor, len(keys))
	for i, k := range keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%w: state dict key %v is not a string", ErrFormat, k)
		}
		t, ok := values[i].(*tensorRef)
		if !ok {
			return nil, &Error{Tensor: name, Err: fmt.Errorf("%w: the entry is a %s, not a tensor", ErrFormat, describe(values[i]))}
		}
		out[i] = namedTensor{name, t}
	}
	return out, nil
}

// describe names the Python type of an unpickled value for error messages.
func describe(v any) string {
	switch v.(type) {
	case *tensorRef:
		return "tensor"
	case *types.Reconstructor:
		return "copy_reg._reconstructor object"
	case *types.ObjectClass:
		return "__builtin__.object"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}
