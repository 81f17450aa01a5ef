package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/transplant-dev/transplant/safetensors"
)

func ExampleOpen() {
	f, err := safetensors.Open("testdata/python.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Tensor("bf16.matrix")
	values, shape, err := f.Float32("bf16.matrix")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Dtype, shape, len(values))
	// Output: BF16 [2 6] 12
}

func ExampleNewWriter() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	out, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	tensors := []safetensors.TensorInfo{
		{Name: "embed", Dtype: safetensors.BF16, Shape: []int{2, 2}},
		{Name: "bias", Dtype: safetensors.F32, Shape: []int{2}},
	}
	w, err := safetensors.NewWriter(out, tensors, map[string]string{"format": "pt"})
	if err != nil {
		log.Fatal(err)
	}
	embed := make([]byte, 8)
	safetensors.FromFloat32(embed, []float32{1, 2, 3, 4}, safetensors.BF16)
	bias := make([]byte, 8)
	safetensors.FromFloat32(bias, []float32{0.5, -0.5}, safetensors.F32)
	w.Write(embed) // the tensors' bytes, in declaration order
	w.Write(bias)
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	for _, t := range w.Tensors() {
		fmt.Println(t.Name, t.Dtype, t.Shape, t.Begin, t.End)
	}
	// Output:
	// embed BF16 [2 2] 0 8
	// bias F32 [2] 8 16
}
