package pytorch

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// maxPickle bounds data.pkl: it describes tensors, it does not hold them.
const maxPickle = 1 << 30

// loadZip reads a torch >= 1.6 checkpoint: a zip archive whose records are
// <archive>/data.pkl (the pickled state dict) and <archive>/data/<key> (one
// uncompressed record per storage).
func (f *File) loadZip(size int64) error {
	zr, err := zip.NewReader(f.f, size)
	if err != nil {
		return fmt.Errorf("%w: reading zip: %v", ErrFormat, err)
	}
	records := make(map[string]*zip.File, len(zr.File))
	prefix := ""
	for _, zf := range zr.File {
		records[zf.Name] = zf
		if dir, ok := strings.CutSuffix(zf.Name, "/data.pkl"); ok && !strings.Contains(dir, "/") {
			if prefix != "" {
				return fmt.Errorf("%w: more than one data.pkl in the zip", ErrFormat)
			}
			prefix = dir + "/"
		}
	}
	if prefix == "" {
		return fmt.Errorf("%w: the zip has no <archive>/data.pkl record", ErrFormat)
	}
	if records[prefix+"constants.pkl"] != nil {
		return fmt.Errorf("%w: TorchScript archive (torch.jit.save), not a state dict", ErrUnsupported)
	}
	if bo := records[prefix+"byteorder"]; bo != nil {
		b, err := readRecord(bo, 16)
		if err != nil || strings.TrimSpace(string(b)) != "little" {
			return fmt.Errorf("%w: byteorder %q", ErrUnsupported, b)
		}
	}
	data, err := readRecord(records[prefix+"data.pkl"], maxPickle)
	if err != nil {
		return fmt.Errorf("%w: reading data.pkl: %v", ErrFormat, err)
	}
	root, err := unpickle(data, func(id *types.Tuple) (any, error) {
		return f.zipStorage(id, records, prefix)
	})
	if err != nil {
		return err
	}
	entries, err := stateDict(root)
	if err != nil {
		return err
	}
	return f.addTensors(entries)
}

func readRecord(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("record %s is %d bytes, over the %d-byte limit", zf.Name, zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}

// zipStorage resolves the persistent id ('storage', storage_type, key,
// location, numel) to a storage record of the zip, which must be stored
// uncompressed and hold numel elements.
func (f *File) zipStorage(id *types.Tuple, records map[string]*zip.File, prefix string) (any, error) {
	ref, err := parseStorageID(id, 5)
	if err != nil {
		return nil, err
	}
	if s, ok := f.storages[ref.key]; ok {
		if s.dtype != ref.dtype || s.numel != ref.numel {
			return nil, fmt.Errorf("%w: storage %s described two ways", ErrFormat, ref.key)
		}
		return ref, nil
	}
	zf := records[prefix+"data/"+ref.key]
	if zf == nil {
		return nil, fmt.Errorf("%w: storage record data/%s is missing", ErrFormat, ref.key)
	}
	if zf.Method != zip.Store {
		return nil, fmt.Errorf("%w: storage data/%s is compressed", ErrUnsupported, ref.key)
	}
	if need := uint64(ref.numel) * uint64(ref.dtype.Size()); zf.UncompressedSize64 < need || zf.CompressedSize64 < need {
		return nil, fmt.Errorf("%w: storage data/%s holds %d bytes, %d %s elements need %d",
			ErrFormat, ref.key, zf.UncompressedSize64, ref.numel, ref.dtype, need)
	}
	off, err := zf.DataOffset()
	if err != nil {
		return nil, fmt.Errorf("%w: storage data/%s: %v", ErrFormat, ref.key, err)
	}
	if need := ref.numel * int64(ref.dtype.Size()); off > f.size || need > f.size-off {
		return nil, fmt.Errorf("%w: storage data/%s runs past the end of the file", ErrFormat, ref.key)
	}
	f.storages[ref.key] = storage{dtype: ref.dtype, numel: ref.numel, off: off}
	return ref, nil
}

// parseStorageID checks a persistent id ('storage', storage_type, key,
// location, numel, ...) of at least minLen fields.
func parseStorageID(id *types.Tuple, minLen int) (*storageRef, error) {
	if id.Len() < minLen {
		return nil, fmt.Errorf("%w: persistent id with %d fields", ErrFormat, id.Len())
	}
	kind, _ := id.Get(0).(string)
	st, ok := id.Get(1).(storageType)
	key, ok2 := id.Get(2).(string)
	numel, ok3 := toInt(id.Get(4))
	if kind != "storage" || !ok || !ok2 || !ok3 || numel < 0 || numel > 1<<56 || key == "" {
		return nil, fmt.Errorf("%w: malformed storage persistent id", ErrFormat)
	}
	return &storageRef{key: key, dtype: st.dtype, numel: numel}, nil
}
