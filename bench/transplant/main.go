// Command transplant-bench measures the peak memory and wall time of a
// transplant of a large generated checkpoint, against the budget issue 4
// sets: the float32 size of the tables the run must hold (old and new
// embedding and head) plus 1 GiB.
//
// It generates (once, kept under -dir) a Llama-style BF16 checkpoint whose
// embedding and head have one row per id of -base-tokenizer and -hidden
// columns, with body tensors filling it up to -total bytes; builds the
// transplant command; runs it as a child process for each -methods entry;
// and prints peak RSS (getrusage), wall time and the budget.
//
// With -apply N it also times (wall and CPU) transplant apply of a saved subword recipe
// against cp -r of the checkpoint, N rounds in rotation, with the base's
// checksums remembered (as after any earlier command on it), with the
// outputs checksummed too (--checksum-outputs), and with nothing
// remembered (TRANSPLANT_CHECKSUM_CACHE=off), and compares apply's peak
// RSS with the run's plan.
//
//	go run ./bench/transplant -dir /tmp/tbench
//	go run ./bench/transplant -dir /tmp/tbench -methods '' -apply 3
package main

import (
	"bufio"
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

	"github.com/transplant-dev/transplant/safetensors"
	"github.com/transplant-dev/transplant/tokenizer"
)

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "transplant-bench"), "where to generate the checkpoint and write outputs")
	baseTok := flag.String("base-tokenizer", "../shared/tokenizers/llama3", "the base model's tokenizer (its id count sets the table rows)")
	newTok := flag.String("new-tokenizer", "tokenizer/testdata/tokenizers/qwen3", "the tokenizer to transplant onto")
	hidden := flag.Int("hidden", 4096, "hidden size")
	total := flag.Int64("total", 8<<30, "total checkpoint size in bytes")
	methods := flag.String("methods", "subword", "comma-separated methods to run")
	rounds := flag.Int("apply", 0, "rounds of transplant apply against cp -r (0: none)")
	settle := flag.Duration("settle", 5*time.Second, "-apply: wait after deleting an output before the next command")
	flag.Parse()
	var ms []string
	if *methods != "" {
		ms = strings.Split(*methods, ",")
	}
	if err := run(*dir, *baseTok, *newTok, *hidden, *total, ms); err != nil {
		log.Fatal(err)
	}
	if *rounds > 0 {
		if err := applyVsCopy(*dir, *newTok, *rounds, *settle); err != nil {
			log.Fatal(err)
		}
	}
}

// applyVsCopy saves a subword recipe of the generated base, then times
// the variants of apply and cp -r of the base in rotation, each in a fresh
// output.
func applyVsCopy(dir, newTok string, rounds int, settle time.Duration) error {
	bin, base := filepath.Join(dir, "transplant"), filepath.Join(dir, "base")
	rec := filepath.Join(dir, "subword.recipe")
	cacheDir := filepath.Join(dir, "checksums")
	plan, err := exec.Command(bin, "run", "--base", base, "--tokenizer", newTok, "--method", "subword", "--dry-run", "--json").Output()
	if err != nil {
		return fmt.Errorf("dry run: %w", err)
	}
	var p struct {
		Memory int64 `json:"memory_bytes"`
	}
	if err := json.Unmarshal(plan, &p); err != nil {
		return err
	}
	os.Remove(rec)
	if out, err := exec.Command(bin, "run", "--base", base, "--tokenizer", newTok, "--method", "subword", "--save-recipe", rec, "-q").CombinedOutput(); err != nil {
		return fmt.Errorf("save recipe: %v\n%s", err, out)
	}
	const gib = 1 << 30
	fmt.Printf("\napply of a subword recipe against cp -r of the %.1f GiB checkpoint; run plan %.2f GiB\n", float64(dirSize(base))/gib, float64(p.Memory)/gib)
	// An untimed apply remembers the base's checksums, as any earlier run
	// or apply of it would have.
	out := filepath.Join(dir, "out-apply")
	os.RemoveAll(out)
	warmup := exec.Command(bin, "apply", "--recipe", rec, "--base", base, "--out", out, "-q")
	warmup.Env = append(os.Environ(), "TRANSPLANT_CHECKSUM_CACHE="+cacheDir)
	if msg, err := warmup.CombinedOutput(); err != nil {
		return fmt.Errorf("warm-up apply: %v\n%s", err, msg)
	}
	os.RemoveAll(out)
	variants := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"cp -r", func() *exec.Cmd { return exec.Command("cp", "-r", base, out) }},
		{"apply", func() *exec.Cmd { return applyCmd(bin, rec, base, out, cacheDir) }},
		{"+sums", func() *exec.Cmd { return applyCmd(bin, rec, base, out, cacheDir, "--checksum-outputs") }},
		{"cold", func() *exec.Cmd { return applyCmd(bin, rec, base, out, "off") }},
	}
	fmt.Println("apply: the base's checksums remembered from an earlier apply; +sums: apply --checksum-outputs; cold: TRANSPLANT_CHECKSUM_CACHE=off")
	fmt.Printf("every command starts %v after its output's previous copy is deleted and synced; the order rotates each round\n", settle)
	fmt.Printf("%-6s", "round")
	for k, v := range variants {
		fmt.Printf(" %8s", v.name)
		if k > 0 {
			fmt.Printf(" %8s", "ratio")
		}
	}
	fmt.Printf(" %10s\n", "apply RSS")
	n := len(variants)
	ratios := make([][]float64, n)
	sums, cpuSums := make([]time.Duration, n), make([]time.Duration, n)
	for i := range rounds {
		times := make([]time.Duration, n)
		var rss int64
		for k := range variants {
			c := (i + k) % n
			fresh(out, settle)
			u, err := timed(variants[c].cmd())
			if err != nil {
				return err
			}
			times[c], sums[c] = u.wall, sums[c]+u.wall
			cpuSums[c] += u.cpu
			if c > 0 {
				rss = max(rss, u.rss)
			}
		}
		os.RemoveAll(out)
		fmt.Printf("%-6d %7.1fs", i, times[0].Seconds())
		for c := 1; c < n; c++ {
			r := times[c].Seconds() / times[0].Seconds()
			ratios[c] = append(ratios[c], r)
			fmt.Printf(" %7.1fs %8.2f", times[c].Seconds(), r)
		}
		fmt.Printf(" %6.2f GiB\n", float64(rss)/gib)
	}
	for c := 1; c < n; c++ {
		slices.Sort(ratios[c])
		fmt.Printf("%s: median ratio to cp -r %.2f (all rounds' times summed: %.2f); CPU time, all rounds summed: %.1f s against %.1f s (%.2f)\n",
			variants[c].name, ratios[c][len(ratios[c])/2], sums[c].Seconds()/sums[0].Seconds(),
			cpuSums[c].Seconds(), cpuSums[0].Seconds(), cpuSums[c].Seconds()/cpuSums[0].Seconds())
	}
	return nil
}

func applyCmd(bin, rec, base, out, cache string, flags ...string) *exec.Cmd {
	c := exec.Command(bin, append([]string{"apply", "--recipe", rec, "--base", base, "--out", out, "-q"}, flags...)...)
	c.Env = append(os.Environ(), "TRANSPLANT_CHECKSUM_CACHE="+cache)
	return c
}

// fresh deletes out, syncs and waits settle before the next command. On a
// virtual machine whose balloon reports free pages to the host
// (Firecracker, many cloud sandboxes), memory freed a moment ago is reused
// at once, while memory freed seconds earlier was handed back and faults
// in from the host again; on one such machine cp -r of this checkpoint
// took anywhere from 11 to 51 s depending on what had run just before.
// Waiting starts every command from the same state.
func fresh(out string, settle time.Duration) {
	os.RemoveAll(out)
	syscall.Sync()
	time.Sleep(settle)
}

// usage is what one command took.
type usage struct {
	wall, cpu time.Duration // cpu: user plus system time
	rss       int64         // peak resident memory in bytes
}

// timed runs cmd and returns what it took.
func timed(cmd *exec.Cmd) (usage, error) {
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return usage{}, fmt.Errorf("%s: %w", cmd.Path, err)
	}
	ps := cmd.ProcessState
	return usage{wall: time.Since(start), cpu: ps.UserTime() + ps.SystemTime(), rss: ps.SysUsage().(*syscall.Rusage).Maxrss * 1024}, nil
}

func run(dir, baseTok, newTok string, hidden int, total int64, methods []string) error {
	old, err := tokenizer.Load(baseTok)
	if err != nil {
		return err
	}
	fresh, err := tokenizer.Load(newTok)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, "base")
	if err := generate(base, baseTok, old.VocabSize(), hidden, total); err != nil {
		return err
	}
	bin := filepath.Join(dir, "transplant")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/transplant").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	const gib = 1 << 30
	budget := int64(4*hidden)*int64(2*old.VocabSize()+2*fresh.VocabSize()) + gib
	fmt.Printf("base: %d × %d BF16 embedding and head, %.1f GiB checkpoint; new tokenizer %d ids\n",
		old.VocabSize(), hidden, float64(dirSize(base))/gib, fresh.VocabSize())
	fmt.Printf("budget: float32 tables %.2f GiB + 1 GiB = %.2f GiB\n\n", float64(budget-gib)/gib, float64(budget)/gib)
	fmt.Printf("%-10s %12s %12s %10s\n", "method", "peak RSS", "of budget", "wall")
	for _, m := range methods {
		out := filepath.Join(dir, "out-"+m)
		os.RemoveAll(out)
		cmd := exec.Command(bin, "run", "--base", base, "--tokenizer", newTok, "--method", m, "--out", out, "-q")
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		wall := time.Since(start)
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		fmt.Printf("%-10s %9.2f GiB %11.0f%% %9.1fs\n", m, float64(rss)/gib, 100*float64(rss)/float64(budget), wall.Seconds())
		os.RemoveAll(out)
	}
	return nil
}

// generate writes a Llama-style checkpoint of about total bytes, unless a
// previous run left one.
func generate(dir, tokDir string, rows, hidden int, total int64) error {
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors.index.json")); err == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := tokenizer.Files(tokDir)
	if err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	tensors := []safetensors.TensorInfo{
		{Name: "model.embed_tokens.weight", Dtype: safetensors.BF16, Shape: []int{rows, hidden}},
		{Name: "lm_head.weight", Dtype: safetensors.BF16, Shape: []int{rows, hidden}},
		{Name: "model.norm.weight", Dtype: safetensors.BF16, Shape: []int{hidden}},
	}
	left := total - int64(2*rows*hidden*2)
	layer := int64(hidden) * int64(hidden) * 2 * 4 // a square matrix pair per mlp block
	for i := 0; left > 0; i++ {
		for _, name := range []string{"gate_proj", "up_proj", "down_proj", "o_proj"} {
			tensors = append(tensors, safetensors.TensorInfo{Name: fmt.Sprintf("model.layers.%d.mlp.%s.weight", i, name), Dtype: safetensors.BF16, Shape: []int{hidden, hidden}})
		}
		left -= layer
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 8<<20)
	w, err := safetensors.NewWriter(bw, tensors, map[string]string{"format": "pt"})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, t := range tensors {
		n := int64(2)
		for _, d := range t.Shape {
			n *= int64(d)
		}
		if err := w.WriteTensor(t.Name, io.LimitReader(bf16Noise{rng}, n)); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	cfg := map[string]any{
		"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama", "hidden_size": hidden,
		"vocab_size": rows, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}

// bf16Noise reads as BF16 values of small random magnitude, fast enough to
// write gigabytes.
type bf16Noise struct{ rng *rand.Rand }

func (b bf16Noise) Read(p []byte) (int, error) {
	for i := 0; i+1 < len(p); i += 2 {
		v := safetensors.Float32ToBFloat16(float32(b.rng.NormFloat64() * 0.02))
		p[i], p[i+1] = byte(v), byte(v>>8)
	}
	return len(p) &^ 1, nil
}

func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}
