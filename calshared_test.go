package transplant

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// The targets of shared rows, recomputed from the base's full logits over
// a window: the logit of the shared token, plus the log of what the base
// leaves it after reading it once the continuations into new tokens are
// taken away (nothing taken from a token that only goes on from others);
// and after a first piece, the logit of the continuation that takes the
// most there, lowered by what the new tokenizer joins of the pair, at most
// maxFollowDrop or down to followFloor. Every context the window holds is
// sampled when a row may have them all; with fewer, at most that many per
// row over the text, and the base's probabilities after a token are asked
// for (st.after) at the first pieces sampled alone.
func TestSharedRowTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxOcc int
		window func(spans int) int
	}{
		{"every context", 1 << 30, func(int) int { return 0 }},
		{"16 per row", 16, func(n int) int { return n / 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sr *sharedRows
			bw := readWindow(t, tc.window, func(s *Session, st *calStream, spans []calSpan) { sr = s.sharedRowsOf(st, spans, nil, tc.maxOcc) })
			sr.collect(bw.w, bw.st, bw.head)
			checkSharedTargets(t, sr, bw, tc.maxOcc)
			checkSharedPlan(t, sr, bw.st, tc.maxOcc)
		})
	}
}

// checkSharedTargets checks the targets of window bw against its logits.
func checkSharedTargets(t *testing.T, sr *sharedRows, bw firstWindow, maxOcc int) {
	t.Helper()
	st, sp, ids, row := bw.st, bw.span, bw.st.ids[bw.span.start:bw.span.end], bw.logits
	seen, seenFollow := make([]int, len(sr.old)), make([]int, len(sr.old))
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-3*math.Max(1, math.Abs(want)) }
	checked, onlyFollowing, follows := 0, 0, 0
	for j := 0; j+1 < len(ids)-1; j++ {
		g := sp.start + j + 1
		r, ok := sr.index[st.ids[g]]
		if !ok || st.inner[g] {
			continue
		}
		if !sr.sampled[g] {
			if maxOcc == 1<<30 {
				t.Fatalf("position %d (old id %d) not sampled, every context of every row asked for", g, st.ids[g])
			}
			continue
		}
		z := logSumExp64(row(j + 1))
		rest, most, to, wantFollow := 1.0, 0.0, -1, 0.0
		for k, q := range sr.next[r] {
			p := sr.rate[r][k] * math.Exp(float64(row(j + 1)[q])-z)
			rest -= p
			if sr.nextRow[r][k] >= 0 && p > most {
				most, to = p, sr.nextRow[r][k]
				drop := math.Min(-maxFollowDrop, math.Log(followFloor*sr.rate[r][k]/p))
				wantFollow = float64(row(j + 1)[q]) + math.Max(math.Log(max(1-sr.rate[r][k], minRest)), drop)
			}
		}
		want := float64(row(j)[st.ids[g]]) + math.Log(max(rest, minRest))
		if got := sr.targets[r][seen[r]]; !near(got, want) {
			t.Fatalf("position %d (old id %d): target %g, the base's logits give %g", g, st.ids[g], got, want)
		}
		seen[r]++
		checked++
		if r >= sr.first {
			onlyFollowing++
		}
		if to >= 0 && maxOcc == 1<<30 { // else followPick may pass this one over
			if got := sr.followTargets[to][seenFollow[to]]; !near(got, wantFollow) {
				t.Fatalf("after position %d (old id %d): target of old id %d %g, the base's logits give %g", g, st.ids[g], sr.old[to], got, wantFollow)
			}
			seenFollow[to]++
			follows++
		}
	}
	if checked == 0 || onlyFollowing == 0 || follows == 0 && maxOcc == 1<<30 {
		t.Fatalf("window: %d shared rows sampled, %d of tokens that only go on from others, %d follow samples", checked, onlyFollowing, follows)
	}
}

// checkSharedPlan checks, over the whole stream, that no row is sampled
// more than maxOcc times, and that st.after marks the sampled first pieces
// alone.
func checkSharedPlan(t *testing.T, sr *sharedRows, st *calStream, maxOcc int) {
	t.Helper()
	per, marks := make([]int, len(sr.old)), 0
	for g, s := range sr.sampled {
		r, ok := sr.index[st.ids[g]]
		if s && (!ok || st.inner[g]) {
			t.Fatalf("position %d (old id %d) sampled, but no shared row stands there", g, st.ids[g])
		}
		if s {
			per[r]++
		}
		if want := s && r < sr.first; st.after[g] != want {
			t.Fatalf("position %d (old id %d): after marked %v, want %v", g, st.ids[g], st.after[g], want)
		}
		if st.after[g] {
			marks++
		}
	}
	if most := slices.Max(per); most > maxOcc {
		t.Fatalf("a row sampled %d times, at most %d asked for", most, maxOcc)
	}
	t.Logf("%d positions of %d marked for the probabilities after them", marks, len(st.ids))
}

// Join rates count, on a stream made by hand, the pairs inside new tokens
// against the pairs of whole tokens side by side, with half of each added.
func TestJoinRates(t *testing.T) {
	// Old ids: 5 and 6 make a new token twice and stand apart once; 5 and
	// 7 make one once and never stand apart; 5 and 8 are never seen.
	st := &calStream{ids: []int{5, 6, 1, 5, 6, 5, 6, 9, 5, 7, 4}}
	st.occ = []calOccurrence{{row: 0, start: 0, pieces: 2}, {row: 0, start: 5, pieces: 2}, {row: 1, start: 8, pieces: 2}}
	st.inner = make([]bool, len(st.ids))
	for _, o := range st.occ {
		st.inner[o.start+1] = true
	}
	sr := &sharedRows{old: []int{5}, next: [][]int{{6, 7, 8}}}
	got := sr.joinRates(st)[0]
	want := []float64{(2 + 0.5) / (2 + 1 + 1), (1 + 0.5) / (1 + 0 + 1), 0.5}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-12 {
			t.Errorf("rate of 5 then %d: %g, want %g", sr.next[0][k], got[k], want[k])
		}
	}
}

// The corrections reach the new table whichever way it is made; tokens of
// whitespace alone get none; KeepShared leaves every shared row alone.
func TestSharedCorrectionsApplied(t *testing.T) {
	ctx := context.Background()
	s, text := openExample(t)
	prior, c := calibrateMean(t, s, text, CalibrationOptions{})
	fitted, _, err := c.Fit(ctx, prior)
	if err != nil {
		t.Fatal(err)
	}
	ht, base := headTable(t, s, false)
	fresh, err := s.assemble(ctx, ht, fitted, base)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := s.stream(ht, fitted)
	if err != nil {
		t.Fatal(err)
	}
	rows := s.tokenRows(BuiltTable{Table: ht, Map: fitted}, func(id int) bool { return id == fitted.Corrections[0].ID })
	if len(rows) != 1 || rows[0].How != HowCopiedCalibrated || rows[0].From == nil {
		t.Errorf("token report of a corrected row: %+v", rows)
	}
	for _, cr := range fitted.Corrections {
		old := s.alignment.Source[cr.ID]
		got := make([]float32, ht.Cols)
		if err := streamed.Fill(cr.ID, cr.ID+1, got); err != nil {
			t.Fatal(err)
		}
		for j, d := range cr.Delta {
			want := base.Data[old*base.Stride+j] + d
			if rowOf(fresh, cr.ID)[j] != want || got[j] != want {
				t.Fatalf("new id %d, column %d: assembled %g, streamed %g, want base + delta %g", cr.ID, j, rowOf(fresh, cr.ID)[j], got[j], want)
			}
		}
	}
	sameEncoded(t, s, ht, fitted)
	sameStreamed(t, streamed, fresh)

	if len(fitted.Corrections) == 0 {
		t.Fatal("no correction")
	}
	spaces := 0 // targets whose first piece is spaces alone
	for _, tg := range s.targets {
		if len(tg.Pieces) > 1 && isBlank(s.oldTok.Surface(tg.Pieces[0].ID).Bytes) {
			spaces++
		}
	}
	if spaces == 0 {
		t.Fatal("no new token of the example begins with a space alone")
	}
	newline := false // line breaks are fitted as other tokens are
	for _, cr := range fitted.Corrections {
		b := s.oldTok.Surface(s.alignment.Source[cr.ID]).Bytes
		if isBlank(b) {
			t.Errorf("old token %q, spaces alone, corrected", b)
		}
		newline = newline || string(b) == "\n"
	}
	if !newline {
		t.Error("the newline, which GPT-2's blank-line token begins with, not corrected")
	}

	_, c = calibrateMean(t, s, text, CalibrationOptions{KeepShared: true})
	kept, rep, err := c.Fit(ctx, prior)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Corrections) != 0 || rep.Shared != 0 {
		t.Errorf("KeepShared: %d corrections, report %d", len(kept.Corrections), rep.Shared)
	}
}

// firstWindow is the example's calibration stream and the base's first
// window over it: the states calibration reads, and the full logits to
// check its samples against.
type firstWindow struct {
	s      *Session
	st     *calStream
	head   blas32.General
	span   calSpan
	w      *calWindow
	logits func(j int) []float32 // at window position j
}

// readFirstWindow runs the base over the first window of the example's
// calibration stream, after prepare has marked what the window must
// compute.
func readFirstWindow(t *testing.T, prepare func(*Session, *calStream, []calSpan)) firstWindow {
	t.Helper()
	return readWindow(t, func(int) int { return 0 }, prepare)
}

// readWindow is readFirstWindow for the window pick chooses among n.
func readWindow(t *testing.T, pick func(n int) int, prepare func(*Session, *calStream, []calSpan)) firstWindow {
	t.Helper()
	s, text := openExample(t)
	m, err := s.baseForward()
	if err != nil {
		t.Fatal(err)
	}
	_, head := headTable(t, s, true)
	st := s.calStreamOf(text, m.Config().BOS)
	spans := st.fixedSpans(min(m.Context(), 256))
	prepare(s, st, spans)
	sp := spans[pick(len(spans))]
	w, err := runWindow(m, st, sp)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config().VocabSize
	logits := make([]float32, (sp.end-sp.start)*v)
	if err := m.Logits(logits, st.ids[sp.start:sp.end]); err != nil {
		t.Fatal(err)
	}
	return firstWindow{s: s, st: st, head: head, span: sp, w: w,
		logits: func(j int) []float32 { return logits[j*v : (j+1)*v] }}
}

// sameStreamed checks that a table streamed in one block, which its rows
// are built in on every core, is the table assembled whole, bit for bit.
func sameStreamed(t *testing.T, streamed checkpoint.Replacement, fresh blas32.General) {
	t.Helper()
	if streamed.Rows < 2*minRowsPerWorker {
		t.Fatalf("%d rows: too few to be built on more than one goroutine", streamed.Rows)
	}
	got := make([]float32, streamed.Rows*streamed.Cols)
	if err := streamed.Fill(0, streamed.Rows, got); err != nil {
		t.Fatal(err)
	}
	for id := range streamed.Rows {
		for j, v := range got[id*streamed.Cols : (id+1)*streamed.Cols] {
			if math.Float32bits(v) != math.Float32bits(rowOf(fresh, id)[j]) {
				t.Fatalf("new id %d, column %d: streamed %g, assembled %g", id, j, v, rowOf(fresh, id)[j])
			}
		}
	}
}

// sameEncoded checks that a streamed table's encoded rows are its float32
// rows narrowed to the base's dtype: rows copied from the base, corrected
// ones and built ones.
func sameEncoded(t *testing.T, s *Session, ht Table, m *heuristics.Map) {
	t.Helper()
	floats, err := s.stream(ht, m)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := s.stream(ht, m)
	if err != nil {
		t.Fatal(err)
	}
	if encoded.FillRaw == nil {
		t.Fatal("a streamed table has no encoded rows")
	}
	all := make([]float32, floats.Rows*floats.Cols)
	if err := floats.Fill(0, floats.Rows, all); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, len(all)*encoded.RawDtype.Size())
	if err := safetensors.FromFloat32(want, all, encoded.RawDtype); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if err := encoded.FillRaw(0, encoded.Rows, got); err != nil {
		t.Fatal(err)
	}
	// The writer copies the kept rows from the base as it stores them.
	rowBytes := encoded.Cols * encoded.RawDtype.Size()
	for _, k := range encoded.Kept {
		if err := s.base.ReadRawRows(encoded.KeptFrom, k.From, k.From+k.N, got[k.Row*rowBytes:(k.Row+k.N)*rowBytes]); err != nil {
			t.Fatal(err)
		}
	}
	if len(encoded.Kept) == 0 {
		t.Error("no rows kept from the base")
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s rows encoded differ from the float32 rows narrowed", encoded.RawDtype)
	}
}
