// Command finetunes writes fake fine-tunes of a model for batch
// benchmarks: copies of its directory whose body tensors (every tensor but
// the embedding and the head) are perturbed by seeded noise, so that each
// copy has the base's vocabulary and shapes and weights of its own.
//
//	go run ./bench/batch -base ../shared/models/A-mistral -out /tmp/tunes -n 8
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/safetensors"
)

func main() {
	base := flag.String("base", "", "model directory with one model.safetensors")
	out := flag.String("out", "", "directory to write tune-0 … tune-(n-1) into")
	n := flag.Int("n", 8, "number of fine-tunes")
	scale := flag.Float64("scale", 0.01, "noise, relative to each value")
	flag.Parse()
	for i := range *n {
		dir := filepath.Join(*out, fmt.Sprintf("tune-%d", i))
		if err := tune(*base, dir, uint64(i), float32(*scale)); err != nil {
			log.Fatal(err)
		}
	}
}

func tune(base, dir string, seed uint64, scale float32) error {
	m, err := checkpoint.Open(base)
	if err != nil {
		return err
	}
	defer m.Close()
	emb, _ := m.Embedding()
	head, _ := m.Head()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && filepath.Ext(e.Name()) != ".safetensors" && filepath.Ext(e.Name()) != ".bin" {
			data, err := os.ReadFile(filepath.Join(base, e.Name()))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
				return err
			}
		}
	}
	in, err := safetensors.Open(filepath.Join(base, "model.safetensors"))
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := safetensors.NewWriter(f, in.Tensors(), in.Metadata())
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for _, t := range in.Tensors() {
		raw, err := in.Raw(t.Name)
		if err != nil {
			return err
		}
		if t.Name != emb.Name && t.Name != head.Name && t.Dtype.IsFloat() {
			v, _, err := in.Float32(t.Name)
			if err != nil {
				return err
			}
			for i := range v {
				v[i] *= 1 + scale*float32(rng.NormFloat64())
			}
			if err := safetensors.FromFloat32(raw, v, t.Dtype); err != nil {
				return err
			}
		}
		if err := w.WriteTensor(t.Name, bytes.NewReader(raw)); err != nil {
			return err
		}
	}
	return w.Close()
}
