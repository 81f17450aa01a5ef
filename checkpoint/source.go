package checkpoint

import (
	"io"
	"path/filepath"

	"github.com/transplant-dev/transplant/pytorch"
	"github.com/transplant-dev/transplant/safetensors"
)

// weightFile is one file of tensors, whatever its format: the methods of a
// *safetensors.File or *pytorch.File that Model needs.
type weightFile struct {
	tensors []Tensor
	// readFloat32 fills dst with elements start... of the tensor, row-major.
	readFloat32 func(name string, dst []float32, start int64) error
	// readRaw fills dst with elements start... in the tensor's own dtype.
	readRaw func(name string, dst []byte, start int64) error
	// reader returns the tensor's bytes, contiguous and row-major.
	reader func(name string) (io.Reader, error)
	// stored reports whether the tensor's bytes lie in the file as reader
	// gives them, so that reader is a section of the file and not a
	// gathered copy.
	stored func(name string) bool
	close  func() error
}

func openSafetensors(path string) (*weightFile, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	wf := &weightFile{readFloat32: f.ReadFloat32, readRaw: f.ReadRaw, close: f.Close,
		reader: func(name string) (io.Reader, error) { return f.Reader(name) },
		stored: func(string) bool { return true }}
	for _, t := range f.Tensors() {
		wf.tensors = append(wf.tensors, Tensor{Name: t.Name, Dtype: t.Dtype, Shape: t.Shape, File: filepath.Base(path)})
	}
	return wf, nil
}

func openPyTorch(path string) (*weightFile, error) {
	f, err := pytorch.Open(path)
	if err != nil {
		return nil, err
	}
	wf := &weightFile{readFloat32: f.ReadFloat32, readRaw: f.ReadRaw, close: f.Close, reader: f.Reader,
		stored: func(name string) bool { t, ok := f.Tensor(name); return ok && t.Contiguous() }}
	for _, t := range f.Tensors() {
		wf.tensors = append(wf.tensors, Tensor{Name: t.Name, Dtype: t.Dtype, Shape: t.Shape, File: filepath.Base(path)})
	}
	return wf, nil
}
