package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/transplant-dev/transplant/safetensors"
	"github.com/transplant-dev/transplant/tokenizer"
)

// TestMain lets a test run the command as a child process: the test binary
// itself, with TRANSPLANT_TEST_MAIN set, is the transplant command.
func TestMain(m *testing.M) {
	if os.Getenv("TRANSPLANT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	// The commands remember checksums here, not in the user's cache.
	cache, err := os.MkdirTemp("", "transplant-checksums")
	if err != nil {
		panic(err)
	}
	os.Setenv(checksumCacheEnv, cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

// writeDonor writes a model directory that uses the example's new
// tokenizer, with random rows of the given width: a donor that makes OMP
// work for seconds.
func writeDonor(t *testing.T, dir string, width int) {
	t.Helper()
	files, err := tokenizer.Files(exampleTok)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, 0o755)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const rows = 50257
	cfg, _ := json.Marshal(map[string]any{"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama",
		"hidden_size": width, "vocab_size": rows, "tie_word_embeddings": true})
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info := []safetensors.TensorInfo{{Name: "model.embed_tokens.weight", Dtype: safetensors.F32, Shape: []int{rows, width}}}
	w, err := safetensors.NewWriter(f, info, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vals := make([]float32, rows*width)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	buf := make([]byte, 4*len(vals))
	safetensors.FromFloat32(buf, vals, safetensors.F32)
	if err := w.WriteTensor(info[0].Name, bytes.NewReader(buf)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Ctrl-C during a run cancels it: exit status 130, a one-line message, no
// output directory and no temporary directory beside it.
func TestInterruptLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	donor := filepath.Join(dir, "donor")
	writeDonor(t, donor, 128)
	parent := filepath.Join(dir, "outputs")
	os.Mkdir(parent, 0o755)
	out := filepath.Join(parent, "model")
	cmd := exec.Command(os.Args[0], "run", "--base", exampleBase, "--tokenizer", exampleTok, "--donor", donor,
		"--method", "omp", "--k", "64", "--omp-threads", "1", "--out", out)
	cmd.Env = append(os.Environ(), "TRANSPLANT_TEST_MAIN=1")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The plan prints before the tables are built; interrupt once it has.
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(stderr.String(), "memory needed") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no plan printed: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want status 130; stderr:\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; last != "transplant: interrupted" {
		t.Errorf("last line %q", last)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 0 {
		t.Errorf("left behind in the output's parent: %v", entries)
	}
}

// syncBuffer is a bytes.Buffer a child process writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
