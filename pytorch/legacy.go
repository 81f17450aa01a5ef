package pytorch

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"

	"github.com/nlpodyssey/gopickle/types"
)

// The first two pickles of a legacy checkpoint.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

const legacyProtocol = 1001

// loadLegacy reads the pre-1.6 format: five pickles back to back (magic
// number, protocol version, system info, the state dict, the sorted storage
// keys), then each storage as an 8-byte element count and its bytes.
func (f *File) loadLegacy(size int64) error {
	pos := int64(0)
	next := func(load func(*types.Tuple) (any, error)) (any, error) {
		n, err := scanPickle(bufio.NewReader(io.NewSectionReader(f.f, pos, size-pos)), size-pos)
		if err != nil {
			return nil, err
		}
		data := make([]byte, n)
		if _, err := f.f.ReadAt(data, pos); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		pos += n
		return unpickle(data, load)
	}
	if err := legacyPreamble(next); err != nil {
		return err
	}
	refs := map[string]*storageRef{}
	root, err := next(func(id *types.Tuple) (any, error) { return legacyStorage(id, refs) })
	if err != nil {
		return err
	}
	keysValue, err := next(nil)
	if err != nil {
		return err
	}
	if err := f.placeLegacyStorages(keysValue, refs, pos); err != nil {
		return err
	}
	entries, err := stateDict(root)
	if err != nil {
		return err
	}
	return f.addTensors(entries)
}

func legacyPreamble(next func(func(*types.Tuple) (any, error)) (any, error)) error {
	magic, err := next(nil)
	if err != nil {
		return err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return fmt.Errorf("%w: a pickle, but not a torch checkpoint (bad magic number)", ErrFormat)
	}
	version, err := next(nil)
	if err != nil {
		return err
	}
	if v, ok := toInt(version); !ok || v != legacyProtocol {
		return fmt.Errorf("%w: legacy protocol version %v", ErrUnsupported, version)
	}
	info, err := next(nil)
	if err != nil {
		return err
	}
	if d, ok := info.(*types.Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le != true {
			return fmt.Errorf("%w: big-endian checkpoint", ErrUnsupported)
		}
	}
	return nil
}

// legacyStorage resolves the legacy persistent id ('storage', storage_type,
// root_key, location, numel, view_metadata); storage views are not
// supported (torch stopped writing them in 1.0).
func legacyStorage(id *types.Tuple, refs map[string]*storageRef) (any, error) {
	ref, err := parseStorageID(id, 6)
	if err != nil {
		return nil, err
	}
	if id.Get(5) != nil {
		return nil, fmt.Errorf("%w: storage view of storage %s", ErrUnsupported, ref.key)
	}
	if old, ok := refs[ref.key]; ok {
		return old, nil
	}
	refs[ref.key] = ref
	return ref, nil
}

// placeLegacyStorages walks the storage records that follow the pickles, in
// the order of the pickled key list, and records where each one's bytes are.
func (f *File) placeLegacyStorages(keysValue any, refs map[string]*storageRef, pos int64) error {
	keys, ok := keysValue.(*types.List)
	if !ok {
		return fmt.Errorf("%w: storage key list is a %T", ErrFormat, keysValue)
	}
	for _, k := range *keys {
		key, _ := k.(string)
		var hdr [8]byte
		if _, err := f.f.ReadAt(hdr[:], pos); err != nil {
			return fmt.Errorf("%w: storage %s: header truncated", ErrFormat, key)
		}
		numel := int64(binary.LittleEndian.Uint64(hdr[:]))
		ref, ok := refs[key]
		if !ok || numel != ref.numel {
			return fmt.Errorf("%w: storage %s in the file does not match the state dict", ErrFormat, key)
		}
		pos += 8
		n := numel * int64(ref.dtype.Size())
		if numel < 0 || n > f.size-pos {
			return fmt.Errorf("%w: storage %s runs past the end of the file", ErrFormat, key)
		}
		f.storages[key] = storage{dtype: ref.dtype, numel: numel, off: pos}
		pos += n
	}
	for key := range refs {
		if _, ok := f.storages[key]; !ok {
			return fmt.Errorf("%w: storage %s has no data", ErrFormat, key)
		}
	}
	return nil
}
