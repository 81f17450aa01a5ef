package transplant

import (
	"fmt"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// A Plan is what a Job will do, and what it will cost, worked out before
// any table is built (what --dry-run prints).
type Plan struct {
	Base         ModelSummary     `json:"base"`
	Donor        *ModelSummary    `json:"donor,omitempty"`
	OldTokenizer TokenizerSummary `json:"old_tokenizer"`
	NewTokenizer TokenizerSummary `json:"new_tokenizer"`
	Alignment    align.Report     `json:"alignment"`
	Tables       []TablePlan      `json:"tables"`
	// MemoryBytes estimates the run's peak memory: the tables held in
	// float32 at once, plus the methods' working space.
	MemoryBytes int64 `json:"memory_bytes"`
	// OutputBytes is the size of the output weights.
	OutputBytes int64 `json:"output_bytes"`
}

// ModelSummary describes a model directory.
type ModelSummary struct {
	Path         string `json:"path"`
	Architecture string `json:"architecture"`
	Tied         bool   `json:"tied"`
	Parameters   int64  `json:"parameters"`
}

// TokenizerSummary describes a tokenizer.
type TokenizerSummary struct {
	Path      string `json:"path"`
	VocabSize int    `json:"vocab_size"`
}

// TablePlan is one tensor the job builds anew.
type TablePlan struct {
	Tensor  string            `json:"tensor"`
	Role    string            `json:"role"` // "input embedding" or "output head"
	Method  string            `json:"method"`
	OldRows int               `json:"old_rows"`
	NewRows int               `json:"new_rows"`
	Cols    int               `json:"cols"`
	Dtype   safetensors.Dtype `json:"dtype"`
	Copied  int               `json:"copied"`  // rows copied from shared tokens
	Built   int               `json:"built"`   // rows the method builds
	Padding int               `json:"padding"` // rows no token uses
	Donor   string            `json:"donor_tensor,omitempty"`
}

// Plan returns what the job will do.
func (j *Job) Plan() Plan { return j.plan }

func (j *Job) makePlan() (Plan, error) {
	p := Plan{
		Base:         summarize(j.opts.Base, j.base),
		OldTokenizer: TokenizerSummary{Path: j.base.Dir(), VocabSize: j.oldTok.VocabSize()},
		NewTokenizer: TokenizerSummary{Path: j.newTokDir, VocabSize: j.newTok.VocabSize()},
		Alignment:    j.alignment.Report,
	}
	if j.donor != nil {
		d := summarize(j.opts.Donor, j.donor)
		p.Donor = &d
	}
	rows := int64(j.alignment.Rows)
	// The run keeps one widened base table and one donor table in reusable
	// buffers, and every new table in float32 until it is written.
	var scratch, donor, fresh, work int64
	for _, t := range j.tables {
		tp := TablePlan{
			Tensor: t.name, Role: t.stageLabel, Method: t.method.Name(),
			OldRows: t.baseRows, NewRows: j.alignment.Rows, Cols: t.cols, Dtype: j.dtype(t.name),
			Copied: j.alignment.Report.Shared, Built: len(j.targets), Padding: j.alignment.Report.Kinds[align.Padding.String()],
			Donor: t.donorName,
		}
		p.Tables = append(p.Tables, tp)
		cols := int64(t.cols)
		if t.biasName != "" {
			cols++
		}
		scratch = max(scratch, int64(t.baseRows)*cols*4)
		donor = max(donor, int64(t.donorRows)*int64(t.donorCols)*4)
		fresh += rows * cols * 4
		w, err := methodWorkspace(t, len(j.targets), len(j.anchors))
		if err != nil {
			return Plan{}, fmt.Errorf("transplant: %s: %w", t.stageLabel, err)
		}
		work = max(work, w)
		p.OutputBytes += rows * int64(t.cols) * int64(tp.Dtype.Size())
	}
	p.MemoryBytes = scratch + donor + fresh + work
	for _, t := range j.base.Tensors() {
		if !j.replaced(t.Name) && !(j.base.Tied() && t.Name == j.headName()) {
			p.OutputBytes += t.ByteSize()
		}
	}
	return p, nil
}

// methodWorkspace is what t's method says it allocates beyond its inputs
// and output, when it can say.
func methodWorkspace(t table, targets, anchors int) (int64, error) {
	m, ok := t.method.(heuristics.Sizer)
	if !ok {
		return 0, nil
	}
	donorCols := 0
	if t.donorName != "" {
		donorCols = t.donorCols
	}
	return m.Workspace(heuristics.Shape{Targets: targets, Anchors: anchors, Cols: t.cols, DonorCols: donorCols})
}

func summarize(path string, m *checkpoint.Model) ModelSummary {
	return ModelSummary{Path: path, Architecture: archName(m), Tied: m.Tied(), Parameters: m.NumParameters()}
}

// archName names a model's architecture by its transformers class.
func archName(m *checkpoint.Model) string {
	if a, ok := m.Architecture(); ok {
		return a.Class
	}
	if c := m.Config(); c != nil {
		return c.ModelType()
	}
	return ""
}

// dtype is the dtype a new table is written in.
func (j *Job) dtype(name string) safetensors.Dtype {
	if j.opts.Dtype != "" {
		return j.opts.Dtype
	}
	t, _ := j.base.Tensor(name)
	return t.Dtype
}

func (j *Job) replaced(name string) bool {
	for _, t := range j.tables {
		if t.name == name || t.biasName == name {
			return true
		}
	}
	return false
}

func (j *Job) headName() string {
	if a, ok := j.base.Architecture(); ok {
		return a.Head
	}
	return ""
}
