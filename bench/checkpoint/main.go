// Command checkpoint-bench compares copying a model directory through
// transplant's streaming writer (checkpoint.Open + checkpoint.WriteDir) with
// cp on the same machine, in the same run.
//
// It generates a safetensors model of -size bytes under -dir (not kept),
// warms the page cache, then alternates cp -r and the Go copy -runs times,
// each in a child process so its peak RSS is the child's own (getrusage),
// swapping which goes first on every run.
// It prints each run, the median throughputs, their ratio and the Go copy's
// peak RSS.
//
//	go run ./bench/checkpoint -size 2GiB
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/safetensors"
)

func main() {
	size := flag.String("size", "2GiB", "size of the generated checkpoint (KiB, MiB, GiB suffixes)")
	dir := flag.String("dir", os.TempDir(), "where to generate the input and outputs")
	runs := flag.Int("runs", 3, "timed runs of each copy")
	child := flag.Bool("child-copy", false, "internal: copy args[0] to args[1] with checkpoint.WriteDir")
	flag.Parse()
	if *child {
		if err := goCopy(flag.Arg(0), flag.Arg(1)); err != nil {
			log.Fatal(err)
		}
		return
	}
	n, err := parseSize(*size)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(n, *dir, *runs); err != nil {
		log.Fatal(err)
	}
}

func goCopy(in, out string) error {
	m, err := checkpoint.Open(in)
	if err != nil {
		return err
	}
	defer m.Close()
	return checkpoint.WriteDir(context.Background(), out, m, checkpoint.WriteOptions{})
}

type result struct {
	secs   float64
	maxRSS int64 // bytes
}

func run(size int64, dir string, runs int) error {
	work, err := os.MkdirTemp(dir, "checkpoint-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	in := filepath.Join(work, "in")
	fmt.Printf("generating a %.2f GiB BF16 safetensors model in %s\n", float64(size)/(1<<30), in)
	if err := generate(in, size); err != nil {
		return err
	}
	if err := warm(filepath.Join(in, "model.safetensors")); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var cp, gocopy []result
	type copier struct {
		name string
		args []string
		into *[]result
	}
	copiers := []copier{
		{"cp -r", []string{"cp", "-r", in, filepath.Join(work, "cp")}, &cp},
		{"WriteDir", []string{self, "-child-copy", in, filepath.Join(work, "go")}, &gocopy},
	}
	for i := range runs {
		for _, c := range copiers {
			r, err := timeChild(c.args)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			*c.into = append(*c.into, r)
			fmt.Printf("run %d  %-9s %6.2f s  %6.2f GiB/s  peak RSS %6.1f MiB\n",
				i+1, c.name, r.secs, float64(size)/(1<<30)/r.secs, float64(r.maxRSS)/(1<<20))
			os.RemoveAll(filepath.Join(work, "cp"))
			os.RemoveAll(filepath.Join(work, "go"))
			syscall.Sync() // settle writeback before the next timed copy
		}
		slices.Reverse(copiers) // neither copy always goes first
	}
	fmt.Println()
	gib := float64(size) / (1 << 30)
	for _, s := range []struct {
		name string
		stat func([]result) float64
	}{{"median", median}, {"best", best}} {
		cpT, goT := s.stat(cp), s.stat(gocopy)
		fmt.Printf("%-6s of %d runs: cp %.2f GiB/s, WriteDir %.2f GiB/s: WriteDir/cp throughput = %.2f\n",
			s.name, runs, gib/cpT, gib/goT, cpT/goT)
	}
	fmt.Printf("\nWriteDir peak RSS (max over runs): %.1f MiB\n", float64(slices.MaxFunc(gocopy, byRSS).maxRSS)/(1<<20))
	return nil
}

func byRSS(a, b result) int { return cmp.Compare(a.maxRSS, b.maxRSS) }

func median(rs []result) float64 {
	s := make([]float64, len(rs))
	for i, r := range rs {
		s[i] = r.secs
	}
	slices.Sort(s)
	return s[len(s)/2]
}

func best(rs []result) float64 { return slices.MinFunc(rs, bySecs).secs }

func bySecs(a, b result) int { return cmp.Compare(a.secs, b.secs) }

func timeChild(args []string) (result, error) {
	syscall.Sync()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, err
	}
	secs := time.Since(start).Seconds()
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss * 1024 // KiB on Linux
	}
	return result{secs: secs, maxRSS: rss}, nil
}

// generate writes config.json and a model.safetensors of about size bytes:
// BF16 tensors of 64 MiB with random bytes, streamed through our writer.
func generate(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg := map[string]any{"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama", "vocab_size": 32768}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return err
	}
	const rows, cols = 8192, 4096 // 64 MiB in BF16
	var tensors []safetensors.TensorInfo
	for i := 0; int64(i+1)*rows*cols*2 <= size; i++ {
		name := fmt.Sprintf("model.layers.%d.mlp.weight", i)
		if i == 0 {
			name = "model.embed_tokens.weight"
		}
		tensors = append(tensors, safetensors.TensorInfo{Name: name, Dtype: safetensors.BF16, Shape: []int{rows, cols}})
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := safetensors.NewWriter(f, tensors, map[string]string{"format": "pt"})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for range tensors {
		for k := 0; k < rows*cols*2; k += len(buf) {
			for j := 0; j < len(buf); j += 8 {
				v := rng.Uint64()
				for b := range 8 {
					buf[j+b] = byte(v >> (8 * b))
				}
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Sync()
}

// warm reads the input once so both copies start from a hot page cache.
func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			var n float64
			if _, err := fmt.Sscan(num, &n); err != nil {
				return 0, fmt.Errorf("bad -size %q", s)
			}
			return int64(n * float64(u.mult)), nil
		}
	}
	return 0, fmt.Errorf("bad -size %q", s)
}
