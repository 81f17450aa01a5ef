package checkpoint

import (
	"io"
	"path/filepath"

	"github.com/transplant-dev/transplant/pytorch"
	"github.com/transplant-dev/transplant/safetensors"
)

// weightFile is one file of tensors, whatever its format.
type weightFile interface {
	tensors() []Tensor
	// readFloat32 fills dst with elements start... of the tensor, row-major.
	readFloat32(name string, dst []float32, start int64) error
	// reader returns the tensor's bytes, contiguous and row-major.
	reader(name string) (io.Reader, error)
	Close() error
}

type safetensorsFile struct{ f *safetensors.File }

func openSafetensors(path string) (weightFile, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	return safetensorsFile{f}, nil
}

func (s safetensorsFile) tensors() []Tensor {
	base := filepath.Base(s.f.Path())
	infos := s.f.Tensors()
	out := make([]Tensor, len(infos))
	for i, t := range infos {
		out[i] = Tensor{Name: t.Name, Dtype: t.Dtype, Shape: t.Shape, File: base}
	}
	return out
}

func (s safetensorsFile) readFloat32(name string, dst []float32, start int64) error {
	return s.f.ReadFloat32(name, dst, start)
}

func (s safetensorsFile) reader(name string) (io.Reader, error) { return s.f.Reader(name) }

func (s safetensorsFile) Close() error { return s.f.Close() }

type pytorchFile struct{ f *pytorch.File }

func openPyTorch(path string) (weightFile, error) {
	f, err := pytorch.Open(path)
	if err != nil {
		return nil, err
	}
	return pytorchFile{f}, nil
}

func (p pytorchFile) tensors() []Tensor {
	base := filepath.Base(p.f.Path())
	infos := p.f.Tensors()
	out := make([]Tensor, len(infos))
	for i, t := range infos {
		out[i] = Tensor{Name: t.Name, Dtype: t.Dtype, Shape: t.Shape, File: base}
	}
	return out
}

func (p pytorchFile) readFloat32(name string, dst []float32, start int64) error {
	return p.f.ReadFloat32(name, dst, start)
}

func (p pytorchFile) reader(name string) (io.Reader, error) { return p.f.Reader(name) }

func (p pytorchFile) Close() error { return p.f.Close() }
