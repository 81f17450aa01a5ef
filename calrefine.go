package transplant

import (
	"context"
	"math"
	"slices"

	"github.com/transplant-dev/transplant/eval/forward"
)

// The mean residual of contextRows is where the base stood after a new
// token's pieces, but a row is read as an input: the first layer adds to
// it what it added to the pieces, and more. On the shared model A the
// residual after the first layer is 70 times as long as an embedding row,
// and the mean residual of "\n\n", read, leaves the stream at a mean
// squared distance of 1,089 from where the base stood, four times the
// spread of those places (272); refined, 270 (in a prototype). So refine
// moves each row e towards the least squares
//
//	Σ_occ ‖L(e) − r‖²
//
// over the token's occurrences: r the residual the base had at the last
// piece, L(e) what the first contextLayers layers make of e read at the
// first piece's position in place of the pieces (forward.Probe). Each
// step adds to e the mean of r − L(e), a Newton step taking the layers'
// Jacobian as the identity, which the residual connection makes it near
// when e is long; where it is not (a row as short as an embedding row,
// which the layers' norms magnify), a step that does not lower the sum is
// taken back and halved, so a row ends no worse than the mean residual.
//
// Extending A by 2,000 tokens (runs of line breaks among them), rows
// from the first 600 kB of calib.txt scored on the rest: 1.0121 of A's
// bits per byte with the mean residuals, 1.0105 after 3, 6 or 10 steps
// (within 0.0001 of each other; after two layers instead of one, no
// better), and with rows for tokens seen 8 or 2 times instead of
// minContextOccurrences no better. On heldout.txt: 1.0103 → 1.0093 (Go doc comments, licenses,
// Python docs 1.0060 → 1.0055, 1.0027 → 1.0023, 1.0078 → 1.0074), and
// without line-break tokens 1.0066 → 1.0064 (the others unchanged). Extending
// B (GPT-2's architecture and tokenizer) the same way, the rows gain less
// and not everywhere: 1.0116 → 1.0118 of B's on heldout.txt, 1.0045,
// 1.0125 → 1.0125 and 1.0090 → 1.0089 on the others. The steps cost a
// pass of the first layers each: 17 s of A's extension's 113.
const contextRefinements = 6

// maxProbedOccurrences bounds the occurrences of a token each refinement
// step reads, spread over the text.
const maxProbedOccurrences = 256

// A probeJob is a window of the stream and the occurrences it probes.
type probeJob struct {
	span calSpan
	occ  []calOccurrence
}

// probed is a job's result: for each of its occurrences, r − L(e), each
// taken as an input row at its own position (the last piece's, the
// probe's).
type probed struct {
	occ   []calOccurrence
	steps []float32
}

// refine makes c.rows: for each token seen minContextOccurrences times,
// its mean residual moved by up to contextRefinements steps (see above).
// progress, unless nil, hears of each pass.
func (c *contextRows) refine(ctx context.Context, m *forward.Model, st *calStream, spans []calSpan, progress func(string, int64, int64)) error {
	c.means()
	jobs := c.probeJobs(st, spans)
	best := make([]refined, len(c.rows))
	for i := range best {
		best[i] = refined{loss: math.Inf(1), rate: 1}
	}
	for pass := range contextRefinements + 1 {
		steps, losses, err := c.gaps(ctx, m, st, jobs)
		if err != nil {
			return err
		}
		if progress != nil {
			progress("input rows", int64(pass+1), contextRefinements+1)
		}
		for i, b := range best {
			if steps[i] == nil {
				continue
			}
			if losses[i] < b.loss {
				b = refined{row: slices.Clone(c.rows[i]), step: steps[i], loss: losses[i], rate: min(1, 2*b.rate)}
			} else {
				b.rate /= 2
			}
			best[i] = b
			for j, v := range b.step {
				c.rows[i][j] = b.row[j] + b.rate*v
			}
		}
	}
	for i, b := range best {
		if b.row != nil {
			c.rows[i] = b.row
		}
	}
	return nil
}

// refined is the best row refine has found for a token: the row, its mean
// step r − L(e) and mean squared gap ‖r − L(e)‖², and the share of the
// step the next try takes.
type refined struct {
	row, step []float32
	loss      float64
	rate      float32
}

// gaps probes every job's occurrences with c.rows and returns, per row,
// the mean of r − L(e) (nil for rows not probed) and of its squared norm.
func (c *contextRows) gaps(ctx context.Context, m *forward.Model, st *calStream, jobs []probeJob) ([][]float32, []float64, error) {
	after := min(contextLayers, m.Layers())
	sums := make([][]float64, len(c.rows))
	sq := make([]float64, len(c.rows))
	n := make([]int, len(c.rows))
	read := func(j probeJob) (probed, error) { return c.probe(m, st, j, after) }
	use := func(p probed) error {
		for k, o := range p.occ {
			if sums[o.row] == nil {
				sums[o.row] = make([]float64, c.width)
			}
			for j, v := range p.steps[k*c.width : (k+1)*c.width] {
				sums[o.row][j] += float64(v)
				sq[o.row] += float64(v) * float64(v)
			}
			n[o.row]++
		}
		return nil
	}
	if err := inOrder(ctx, jobs, read, use); err != nil {
		return nil, nil, err
	}
	steps := make([][]float32, len(c.rows))
	for i, sum := range sums {
		if sum == nil {
			continue
		}
		steps[i] = make([]float32, c.width)
		for j, v := range sum {
			steps[i][j] = float32(v / float64(n[i]))
		}
		sq[i] /= float64(n[i])
	}
	return steps, sq, nil
}

// means sets c.rows to the mean residuals of the tokens seen
// minContextOccurrences times.
func (c *contextRows) means() {
	c.rows = make([][]float32, len(c.sums))
	for i, sum := range c.sums {
		if n := c.count[i]; n >= minContextOccurrences {
			c.rows[i] = make([]float32, c.width)
			for j, v := range sum {
				c.rows[i][j] = float32(v / float64(n))
			}
		}
	}
}

// probeJobs lists the windows of spans that hold, whole, occurrences of
// the tokens c.rows has, at most maxProbedOccurrences of each spread over
// the text.
func (c *contextRows) probeJobs(st *calStream, spans []calSpan) []probeJob {
	seen := make([]int, len(c.rows))
	var jobs []probeJob
	next := 0
	for _, sp := range spans {
		j := probeJob{span: sp}
		for ; next < len(st.occ) && st.occ[next].start+st.occ[next].pieces <= sp.end; next++ {
			o := st.occ[next]
			if o.start < sp.start || o.pieces < 2 || c.rows[o.row] == nil {
				continue
			}
			stride := (c.count[o.row] + maxProbedOccurrences - 1) / maxProbedOccurrences
			if seen[o.row]++; (seen[o.row]-1)%stride == 0 {
				j.occ = append(j.occ, o)
			}
		}
		if len(j.occ) > 0 {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// probe reads job j's window with each occurrence's row in place of its
// pieces.
func (c *contextRows) probe(m *forward.Model, st *calStream, j probeJob, after int) (probed, error) {
	H := c.width
	end := j.span.start
	probes := make([]forward.Probe, len(j.occ))
	for k, o := range j.occ {
		probes[k] = forward.Probe{At: o.start - j.span.start, Row: c.rows[o.row]}
		end = max(end, o.start+o.pieces)
	}
	// The window ends with its last probed occurrence: later ids change
	// none of these residuals (but for LongRoPE's choice of frequencies,
	// which targets and probes then share).
	ids := st.ids[j.span.start:end]
	got := make([]float32, len(probes)*H)
	own := forward.Residual{After: after, Dst: make([]float32, len(ids)*H)}
	if err := m.ProbeResidual(got, own, ids, probes); err != nil {
		return probed{}, err
	}
	target := make([]float32, H)
	for k, o := range j.occ {
		last := o.start + o.pieces - 1 - j.span.start
		// Each residual as an input row at its own position: with learned
		// positions, the token's residual should carry its own, not its
		// last piece's.
		step := got[k*H : (k+1)*H] // becomes r − L(e)
		if err := m.InputRow(target, own.Dst[last*H:(last+1)*H], last); err != nil {
			return probed{}, err
		}
		if err := m.InputRow(step, step, probes[k].At); err != nil {
			return probed{}, err
		}
		for i, v := range target {
			step[i] = v - step[i]
		}
	}
	return probed{occ: j.occ, steps: got}, nil
}
