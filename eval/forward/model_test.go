package forward

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/safetensors"
)

// goldenSource returns the weights of a golden case as a mapSource, for
// tests that remove or reshape tensors.
func goldenSource(t *testing.T, name string) (*Config, mapSource) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	st := openGzipSafetensors(t, filepath.Join(dir, "model.safetensors.gz"))
	return cfg, toMap(t, st)
}

func toMap(t *testing.T, st *safetensors.File) mapSource {
	src := mapSource{}
	for _, info := range st.Tensors() {
		data, shape, err := st.Float32(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		src[info.Name] = tensor{data, shape}
	}
	return src
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		model, tensor string
		edit          func(mapSource, string)
		want          error // nil: any error naming the tensor
	}{
		{"llama", "model.layers.1.mlp.up_proj.weight", func(s mapSource, n string) { delete(s, n) }, nil},
		{"llama", "lm_head.weight", func(s mapSource, n string) { delete(s, n) }, nil},
		{"qwen2", "model.layers.0.self_attn.k_proj.bias", func(s mapSource, n string) { delete(s, n) }, nil},
		{"qwen3", "model.layers.0.self_attn.q_norm.weight", func(s mapSource, n string) {
			s[n] = tensor{s[n].data[:10], []int{10}}
		}, ErrWeights},
		{"llama", "model.embed_tokens.weight", func(s mapSource, n string) {
			s[n] = tensor{s[n].data, []int{64, 256}} // transposed
		}, ErrWeights},
		{"gpt2", "h.0.attn.c_attn.weight", func(s mapSource, n string) {
			s[n] = tensor{s[n].data, []int{192, 64}} // nn.Linear layout instead of Conv1D
		}, ErrWeights},
		{"phi3", "model.layers.1.self_attn.qkv_proj.weight", func(s mapSource, n string) { delete(s, n) }, nil},
		{"phi3", "model.layers.0.mlp.gate_up_proj.weight", func(s mapSource, n string) {
			s[n] = tensor{s[n].data[:128*64], []int{128, 64}} // gate only
		}, ErrWeights},
		{"gemma", "model.norm.weight", func(s mapSource, n string) { delete(s, n) }, nil},
		{"gemma2", "model.layers.2.pre_feedforward_layernorm.weight", func(s mapSource, n string) { delete(s, n) }, nil},
		{"gemma2", "model.layers.0.post_feedforward_layernorm.weight", func(s mapSource, n string) {
			s[n] = tensor{s[n].data[:32], []int{32}}
		}, ErrWeights},
		{"gpt2", "wte.weight", func(s mapSource, n string) { delete(s, n) }, nil},
		{"gpt2-prefixed", "transformer.h.1.ln_2.bias", func(s mapSource, n string) { delete(s, n) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.model+"/"+tc.tensor, func(t *testing.T) {
			cfg, src := goldenSource(t, tc.model)
			tc.edit(src, tc.tensor)
			_, err := New(cfg, src)
			if err == nil || !strings.Contains(err.Error(), tc.tensor) {
				t.Fatalf("err = %v, want one naming %s", err, tc.tensor)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := New(&Config{}, mapSource{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("New with an empty Config: err = %v, want ErrUnsupported", err)
	}
	cfg, src := goldenSource(t, "llama")
	cfg.RopeScaling = &RopeScaling{Type: "yarn", Factor: 2}
	if _, err := New(cfg, src); !errors.Is(err, ErrUnsupported) {
		t.Errorf("New with yarn scaling set by hand: err = %v, want ErrUnsupported", err)
	}
}

// NLL agrees with a float64 log-softmax of Logits, skips negative targets,
// and does not depend on how many head rows it holds at once.
func TestNLLMatchesLogits(t *testing.T) {
	for _, name := range []string{"llama", "gemma2", "gpt2"} {
		t.Run(name, func(t *testing.T) {
			m := loadTestModel(t, filepath.Join("testdata", name))
			m.blocks.head = 3 // several blocks, the last one partial
			g := readGolden(t, filepath.Join("testdata", name))
			ids := g.IDs
			V := m.VocabSize()
			logits := logitsOf(t, m, ids)
			targets := make([]int, len(ids))
			for i := range targets {
				targets[i] = (ids[i]*7 + i) % V
			}
			targets[0], targets[5], targets[len(ids)-1] = -1, -1, -1
			got := make([]float64, len(ids))
			for i := range got {
				got[i] = -42 // must survive at skipped positions
			}
			if err := m.NLL(got, ids, targets); err != nil {
				t.Fatal(err)
			}
			for i, tg := range targets {
				if tg < 0 {
					if got[i] != -42 {
						t.Errorf("position %d skipped but written: %g", i, got[i])
					}
					continue
				}
				row := logits[i*V : (i+1)*V]
				want := refLogSumExp(row) - float64(row[tg])
				if math.Abs(got[i]-want) > 1e-5*math.Max(1, want) {
					t.Errorf("position %d: NLL %.7g, want %.7g", i, got[i], want)
				}
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	m := loadTestModel(t, filepath.Join("testdata", "gpt2"))
	V := m.VocabSize()
	long := make([]int, m.Context()+1)
	cases := []struct {
		name    string
		ids     []int
		targets []int
	}{
		{"empty window", nil, nil},
		{"id beyond vocabulary", []int{1, V}, []int{1, 2}},
		{"negative id", []int{-1, 2}, []int{1, 2}},
		{"target beyond vocabulary", []int{1, 2}, []int{1, V}},
		{"window beyond learned positions", long, make([]int, len(long))},
		{"targets shorter than ids", []int{1, 2}, []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := m.NLL(make([]float64, len(tc.ids)), tc.ids, tc.targets)
			if !errors.Is(err, ErrInput) {
				t.Errorf("NLL: err = %v, want ErrInput", err)
			}
		})
	}
	if err := m.Logits(make([]float32, V), []int{1, 2}); !errors.Is(err, ErrInput) {
		t.Errorf("Logits with a short buffer: err = %v, want ErrInput", err)
	}
}

// Load reads a model directory through package checkpoint.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "qwen3")
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	weights := readGzip(t, filepath.Join(src, "model.safetensors.gz"))
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	g := readGolden(t, src)
	got := logitsOf(t, m, g.IDs)
	if rel := maxRelErr(got, g.Logits); rel > goldenTol {
		t.Errorf("logits of the loaded model differ by %.3g relative", rel)
	}

	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load of an empty directory succeeded")
	}
	if err := os.Remove(filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load without weights: err = %v, want one naming %s", err, dir)
	}
}

// Processing rows in blocks changes memory, not results: logits with blocks
// of a few rows equal those with every row at once, for windows long enough
// to cross sliding-window and block boundaries.
func TestBlocksDoNotChangeResults(t *testing.T) {
	for _, name := range []string{"mistral", "qwen3", "phi3", "phi3-longrope", "gemma", "gemma2", "gemma3_text", "gpt2"} {
		t.Run(name, func(t *testing.T) {
			m := loadTestModel(t, filepath.Join("testdata", name))
			T := min(m.Context(), 29)
			if m.positions == nil {
				T = 150 // RoPE models run past max_position_embeddings
			}
			ids := make([]int, T)
			for i := range ids {
				ids[i] = (i*37 + 11) % m.VocabSize()
			}
			V := m.VocabSize()
			m.blocks = blocks{head: T, query: T, mlp: T}
			whole := logitsOf(t, m, ids)
			small := loadTestModel(t, filepath.Join("testdata", name))
			small.blocks = blocks{head: 4, query: 7, mlp: 5}
			blocked := logitsOf(t, small, ids)
			// Blocks change the order of float32 sums, so logits move by a
			// few ulps of the largest one.
			var scale float64
			for _, v := range whole {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for i := range whole {
				if d := math.Abs(float64(whole[i] - blocked[i])); d > 1e-6*scale {
					t.Fatalf("logit %d (position %d): %g whole, %g in blocks (largest logit %g)", i, i/V, whole[i], blocked[i], scale)
				}
			}
		})
	}
}

// A runner that served a long LongRoPE window and then a short one (or the
// other way round) rebuilds its rotary tables: each window gets the result
// a fresh runner gives it.
func TestLongRopeTablesFollowWindowLength(t *testing.T) {
	m := loadTestModel(t, filepath.Join("testdata", "phi3-longrope"))
	g := readGolden(t, filepath.Join("testdata", "phi3-longrope"))
	long, short := g.IDs, g.Short.IDs
	fresh := func(ids []int) []float32 {
		r := &runner{m: m}
		r.body(ids, Residual{})
		return slices.Clone(r.h[:len(ids)*m.cfg.Hidden])
	}
	reused := &runner{m: m}
	for i, ids := range [][]int{long, short, long, short[:3], long} {
		reused.body(ids, Residual{})
		if got, want := reused.h[:len(ids)*m.cfg.Hidden], fresh(ids); !slices.Equal(got, want) {
			t.Fatalf("window %d (%d ids): hidden states of a reused runner differ from a fresh one's", i, len(ids))
		}
	}
}

// The states NLLStates returns are what the head multiplies: times the
// head's rows they give Logits' logits, and the NLLs are NLL's, at every
// position, scored or not (the head runs over the scored ones alone).
func TestNLLStatesAreWhatTheHeadMultiplies(t *testing.T) {
	cfg, src := goldenSource(t, "llama")
	m, err := New(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	head, ok := src["lm_head.weight"]
	if !ok {
		head = src["model.embed_tokens.weight"]
	}
	ids := readGolden(t, filepath.Join("testdata", "llama")).IDs
	V, H := m.VocabSize(), cfg.Hidden
	targets := make([]int, len(ids))
	for i := range targets {
		targets[i] = (ids[i]*3 + i) % V
		if i%3 == 1 {
			targets[i] = -1
		}
	}
	states := make([]float32, len(ids)*H)
	got, want := make([]float64, len(ids)), make([]float64, len(ids))
	if err := m.NLLStates(got, states, ids, targets); err != nil {
		t.Fatal(err)
	}
	if err := m.NLL(want, ids, targets); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("NLLStates gives NLLs %v, NLL %v", got[:4], want[:4])
	}
	logits := logitsOf(t, m, ids)
	for i := range ids {
		for v := 0; v < V; v += 7 {
			var dot float64
			for j := range H {
				dot += float64(states[i*H+j]) * float64(head.data[v*H+j])
			}
			if l := float64(logits[i*V+v]); math.Abs(dot-l) > 1e-4*math.Max(1, math.Abs(l)) {
				t.Fatalf("position %d, id %d: state·row %.6g, logit %.6g", i, v, dot, l)
			}
		}
	}
	if err := m.NLLStates(got, states[:H], ids, targets); !errors.Is(err, ErrInput) {
		t.Errorf("short states buffer: %v, want ErrInput", err)
	}
}

// ScratchBytes is what a runner allocates for a window: exactly, for a
// gated MLP; at least, for GPT-2's single up projection.
func TestScratchBytesCountsTheRunner(t *testing.T) {
	for _, name := range []string{"mistral", "qwen3", "phi3", "gemma", "gpt2"} {
		t.Run(name, func(t *testing.T) {
			m := loadTestModel(t, filepath.Join("testdata", name))
			for _, n := range []int{1, 7, min(m.Context(), 300)} {
				r := &runner{m: m}
				r.reserve(n)
				got := int64(len(r.x)+len(r.h)+len(r.qkv)+len(r.att)+len(r.mlp)+len(r.scores)+len(r.logits)) * 4
				want := m.cfg.ScratchBytes(n)
				if got > want || (name != "gpt2" && got != want) {
					t.Errorf("window %d: runner holds %d bytes, ScratchBytes says %d", n, got, want)
				}
			}
		})
	}
}

// LogitsAt gives the rows Logits gives at the positions asked for, and
// refuses positions out of the window or out of order.
func TestLogitsAtMatchesLogits(t *testing.T) {
	for _, name := range []string{"mistral", "gemma2", "gpt2"} {
		t.Run(name, func(t *testing.T) {
			m := loadTestModel(t, filepath.Join("testdata", name))
			ids := make([]int, min(m.Context(), 40))
			for i := range ids {
				ids[i] = (i*53 + 7) % m.VocabSize()
			}
			whole := logitsOf(t, m, ids)
			V := m.VocabSize()
			for _, at := range [][]int{{0}, {3, 4, 17}, {len(ids) - 1}, {1, 2, 5, 8, 13, 21, len(ids) - 1}} {
				got := make([]float32, len(at)*V)
				if err := m.LogitsAt(got, ids, at); err != nil {
					t.Fatal(err)
				}
				for k, p := range at {
					var scale, diff float64
					for j := range V {
						scale = math.Max(scale, math.Abs(float64(whole[p*V+j])))
						diff = math.Max(diff, math.Abs(float64(got[k*V+j]-whole[p*V+j])))
					}
					if diff > 1e-6*scale {
						t.Fatalf("at %v: row %d (position %d) differs from Logits by %g (largest logit %g)", at, k, p, diff, scale)
					}
				}
			}
			for _, at := range [][]int{{-1}, {len(ids)}, {4, 4}, {5, 2}} {
				if err := m.LogitsAt(make([]float32, len(at)*V), ids, at); !errors.Is(err, ErrInput) {
					t.Errorf("positions %v: %v, want ErrInput", at, err)
				}
			}
		})
	}
}

// The residual after no layer is the embedding rows; after every layer it
// is what the final norm turns into the same pass's states; after one layer
// a prefix's rows are the window's (causality); asking for it changes no
// NLL; and what cannot be done is refused.
func TestResidual(t *testing.T) {
	cfg, src := goldenSource(t, "llama")
	m, err := New(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	ids := readGolden(t, filepath.Join("testdata", "llama")).IDs
	H, V := cfg.Hidden, m.VocabSize()
	targets := make([]int, len(ids))
	for i := range targets {
		targets[i] = (ids[i]*5 + i) % V
	}
	want := make([]float64, len(ids))
	if err := m.NLL(want, ids, targets); err != nil {
		t.Fatal(err)
	}
	res := func(ids []int, n int, states []float32) []float32 {
		t.Helper()
		r := Residual{After: n, Dst: make([]float32, len(ids)*H)}
		nll := make([]float64, len(ids))
		if err := m.NLLStatesResidual(nll, states, r, ids, targets[:len(ids)]); err != nil {
			t.Fatal(err)
		}
		if len(ids) == len(want) && !slices.Equal(nll, want) {
			t.Fatalf("after %d layers: asking for the residual changed the NLLs", n)
		}
		return r.Dst
	}
	embed := src["model.embed_tokens.weight"].data
	zero := res(ids, 0, nil)
	for i, id := range ids {
		if got := zero[i*H : (i+1)*H]; !slices.Equal(got, embed[id*H:(id+1)*H]) {
			t.Fatalf("after no layer, position %d is not id %d's embedding row", i, id)
		}
	}
	states := make([]float32, len(ids)*H)
	all := res(ids, m.Layers(), states)
	final := src["model.norm.weight"].data
	for i := range ids {
		got := make([]float32, H)
		rmsNorm(got, all[i*H:(i+1)*H], final, cfg.NormEps)
		if !slices.Equal(got, states[i*H:(i+1)*H]) {
			t.Fatalf("position %d: the final norm of the last residual is not the pass's state", i)
		}
	}
	one, prefix := res(ids, 1, nil), res(ids[:len(ids)/2], 1, nil)
	for i, v := range prefix {
		if math.Abs(float64(v-one[i])) > 1e-5*math.Max(1, math.Abs(float64(v))) {
			t.Fatalf("after one layer, value %d of a prefix is %g, of the window %g", i, v, one[i])
		}
	}
	if slices.Equal(one, zero) {
		t.Error("the first layer changed nothing")
	}
	nll := make([]float64, len(ids))
	for _, r := range []Residual{{After: -1, Dst: make([]float32, len(ids)*H)}, {After: m.Layers() + 1, Dst: make([]float32, len(ids)*H)}, {After: 1, Dst: make([]float32, H)}} {
		if err := m.NLLStatesResidual(nll, nil, r, ids, targets); !errors.Is(err, ErrInput) {
			t.Errorf("residual after %d layers into %d values: %v, want ErrInput", r.After, len(r.Dst), err)
		}
	}
}

// InputRow undoes what the first layer's input adds to an embedding row:
// learned positions (GPT-2), the sqrt(hidden) scale (Gemma), nothing
// (Llama).
func TestInputRowInvertsTheInputTransform(t *testing.T) {
	for _, family := range []string{"llama", "gpt2", "gemma"} {
		cfg, src := goldenSource(t, family)
		m, err := New(cfg, src)
		if err != nil {
			t.Fatal(err)
		}
		var embed []float32
		for _, name := range []string{"model.embed_tokens.weight", "transformer.wte.weight", "wte.weight"} {
			if e, ok := src[name]; ok {
				embed = e.data
			}
		}
		ids := readGolden(t, filepath.Join("testdata", family)).IDs
		H := cfg.Hidden
		x := make([]float32, len(ids)*H)
		if err := m.NLLStatesResidual(make([]float64, len(ids)), nil, Residual{Dst: x}, ids, make([]int, len(ids))); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			got := make([]float32, H)
			if err := m.InputRow(got, x[i*H:(i+1)*H], i); err != nil {
				t.Fatal(err)
			}
			for j, v := range got {
				if want := embed[id*H+j]; math.Abs(float64(v-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
					t.Fatalf("%s, position %d: value %d is %g, the row's %g", family, i, j, v, want)
				}
			}
		}
		if err := m.InputRow(make([]float32, H), x[:H-1], 0); !errors.Is(err, ErrInput) {
			t.Errorf("%s: short row: %v, want ErrInput", family, err)
		}
	}
}
