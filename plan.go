package transplant

import (
	"fmt"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// A Choice says which method builds the new rows of each table.
type Choice struct {
	// Input builds the input embedding's rows; Output the output head's
	// (nil: Input). A tied model has one table, built with Input.
	Input, Output heuristics.Method
	// CalibrateHead fits the head rows Output builds to the base model
	// on BuildOptions.CalibrationText (Session.Calibrate).
	CalibrateHead bool
	// CalibrateToDonor, with CalibrateHead, fits the head rows to the
	// donor model as well (CalibrationOptions.Donor).
	CalibrateToDonor bool
	// CalibrationBytes is the length of the calibration text, for the
	// memory Plan counts when CalibrateHead; 0 counts
	// DefaultCalibrationBytes, the most calibration reads.
	CalibrationBytes int
}

// For returns the method for the table of the given role.
func (c Choice) For(r heuristics.Role) heuristics.Method {
	if r == heuristics.OutputHead && c.Output != nil {
		return c.Output
	}
	return c.Input
}

// A Plan is what a transplant will do, and what it will cost, worked out
// before any table is read (what --dry-run prints).
type Plan struct {
	Base         ModelSummary     `json:"base"`
	Donor        *ModelSummary    `json:"donor,omitempty"`
	OldTokenizer TokenizerSummary `json:"old_tokenizer"`
	NewTokenizer TokenizerSummary `json:"new_tokenizer"`
	Alignment    align.Report     `json:"alignment"`
	Tables       []TablePlan      `json:"tables"`
	// MemoryBytes estimates the run's peak memory: the tables held in
	// float32 at once, plus the methods' working space and maps, or, when
	// the head is calibrated, what calibration holds if that is more
	// (CalibrationBytes).
	MemoryBytes int64 `json:"memory_bytes"`
	// CalibrationBytes estimates what calibrating the head holds beyond
	// the maps; 0 when it does not run.
	CalibrationBytes int64 `json:"calibration_bytes,omitempty"`
	// OutputBytes is the size of the output weights.
	OutputBytes int64 `json:"output_bytes"`
	// Auto says the methods are left to Auto: the plan is that of its
	// costliest choice (PlanAuto).
	Auto bool `json:"auto,omitempty"`
	// Forward is what the run's forward passes compute (Auto's and
	// calibration's): no bytes when it makes none.
	Forward ForwardWork `json:"forward"`
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

// TablePlan is one tensor the transplant builds anew.
type TablePlan struct {
	Tensor  string            `json:"tensor"`
	Role    heuristics.Role   `json:"role"`
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

// rowBytes is what one row of a row map costs beyond its terms.
const rowBytes = 96

// overheadBytes stands for what every run holds besides its tables: both
// tokenizers, the alignment, write buffers and the Go runtime (measured:
// about 160 MiB with Llama 3's and Qwen 3's tokenizers).
const overheadBytes = 384 << 20

// Plan works out what building with c and writing in dtype (empty: the
// base's) will do and cost. It fails when a method needs a donor the
// session lacks, or cannot run at this size.
func (s *Session) Plan(c Choice, dtype safetensors.Dtype) (Plan, error) {
	return s.plan(c, dtype, s.auxTableShape())
}

// auxShape is the size of a table of auxiliary vectors, which stands in for
// the donor's tables.
type auxShape struct{ rows, cols int }

// auxTableShape is the size of the session's auxiliary vectors, nil without.
func (s *Session) auxTableShape() *auxShape {
	if s.aux == nil {
		return nil
	}
	return &auxShape{rows: s.aux.Table.Rows, cols: s.aux.Table.Cols}
}

// plan is Plan with auxiliary vectors of the given shape, nil for none:
// those the session has, or those Auto would make (PlanAuto).
func (s *Session) plan(c Choice, dtype safetensors.Dtype, aux *auxShape) (Plan, error) {
	if c.Input == nil {
		return Plan{}, fmt.Errorf("transplant: no method given")
	}
	p := Plan{
		Base:         summarize(s.in.Base, s.base),
		OldTokenizer: TokenizerSummary{Path: s.base.Dir(), VocabSize: s.oldTok.VocabSize()},
		NewTokenizer: TokenizerSummary{Path: s.newTokDir, VocabSize: s.newTok.VocabSize()},
		Alignment:    s.alignment.Report,
	}
	if s.donor != nil {
		d := summarize(s.in.Donor, s.donor)
		p.Donor = &d
	}
	rows := int64(s.alignment.Rows)
	// Building holds one widened base table and the donor's at a time,
	// with the method's workspace; writing holds every widened base table
	// (new rows are made from them as the writer streams them out) and, in
	// float32, the new tables the writer cannot stream (a head bias, a
	// noise term). The row maps live through both.
	var base, bases, donor, fresh, work, maps int64
	for _, t := range s.tables {
		m := c.For(t.Role)
		if s.donor == nil && aux == nil && heuristics.RequiresDonor(m) {
			return Plan{}, fmt.Errorf("transplant: %s: method %s: %w", t.Role, m.Name(), heuristics.ErrNoDonor)
		}
		tp := TablePlan{
			Tensor: t.Tensor, Role: t.Role, Method: m.Name(),
			OldRows: t.Rows, NewRows: s.alignment.Rows, Cols: t.Cols, Dtype: s.dtype(t.Tensor, dtype),
			Copied: s.alignment.Report.Shared, Built: len(s.targets), Padding: s.alignment.Report.Kinds[align.Padding.String()],
			Donor: t.DonorTensor,
		}
		p.Tables = append(p.Tables, tp)
		width := int64(t.width())
		base = max(base, int64(t.Rows)*width*4)
		bases += int64(t.Rows) * width * 4
		donor = max(donor, int64(t.DonorRows)*int64(t.DonorCols)*4)
		if aux != nil {
			donor = int64(aux.rows) * int64(aux.cols) * 4
		}
		if _, randn := m.(heuristics.Randn); randn || t.Bias != "" {
			fresh += rows * width * 4
		}
		w, err := s.workspace(m, t, aux)
		if err != nil {
			return Plan{}, fmt.Errorf("transplant: %s: %w", t.Role, err)
		}
		work = max(work, w)
		maps += int64(len(s.targets)) * rowBytes
		if c.CalibrateHead && t.Role == heuristics.OutputHead {
			maps += int64(len(s.targets)) * width * 4 // each fitted row's change
		}
		p.OutputBytes += rows * int64(t.Cols) * int64(tp.Dtype.Size())
	}
	p.Forward.BaseFLOPs = tokenFLOPs(s.base)
	if c.CalibrateHead {
		p.CalibrationBytes = s.calibrationBytes(c.CalibrationBytes)
		p.Forward = s.calibrationWork(c.CalibrationBytes)
	}
	p.MemoryBytes = max(base+donor+work, bases+fresh, p.CalibrationBytes) + maps + overheadBytes
	for _, t := range s.base.Tensors() {
		if !s.replaced(t.Name) && !(s.base.Tied() && t.Name == s.headName()) {
			p.OutputBytes += t.ByteSize()
		}
	}
	return p, nil
}

// workspace is what m says it allocates beyond its inputs on table t, when
// it can say.
func (s *Session) workspace(m heuristics.Method, t Table, aux *auxShape) (int64, error) {
	sz, ok := m.(heuristics.Sizer)
	if !ok {
		return 0, nil
	}
	donorCols := t.DonorCols
	if aux != nil {
		donorCols = aux.cols
	}
	return sz.Workspace(heuristics.Shape{Targets: len(s.targets), Anchors: len(s.anchors), Cols: t.width(), DonorCols: donorCols})
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

// dtype is the dtype a new table is written in: want, or the base's.
func (s *Session) dtype(name string, want safetensors.Dtype) safetensors.Dtype {
	if want != "" {
		return want
	}
	t, _ := s.base.Tensor(name)
	return t.Dtype
}

func (s *Session) replaced(name string) bool {
	for _, t := range s.tables {
		if t.Tensor == name || t.Bias == name {
			return true
		}
	}
	return false
}

func (s *Session) headName() string {
	if a, ok := s.base.Architecture(); ok {
		return a.Head
	}
	return ""
}
