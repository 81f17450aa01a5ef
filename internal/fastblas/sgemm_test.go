package fastblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// subject is one Sgemm under test.
type subject struct {
	name string
	blas blas.Float32
}

// implementations lists the build's choice and every path of the pure-Go
// Sgemm: the kernel on all sizes (serial, and on more goroutines than
// cores), the default thresholds, and the forced fallback to gonum.
func implementations() []subject {
	list := []subject{
		{"Float32/" + Name(), Float32()},
		{"pure-go", goBLAS{}},
		{"fallback", goBLAS{fallback: true}},
	}
	if hasKernel {
		list = append(list,
			subject{"kernel/1", goBLAS{always: true, threads: 1}},
			subject{"kernel/3", goBLAS{always: true, threads: 3}},
		)
	}
	return list
}

// gemmCase is one Sgemm call: shapes, transposes, scalars, and pad extra
// columns in each leading dimension (a strided sub-matrix).
type gemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float32
	pad         int
}

func (c gemmCase) String() string {
	return fmt.Sprintf("%s%s m=%d n=%d k=%d alpha=%g beta=%g pad=%d",
		tname(c.tA), tname(c.tB), c.m, c.n, c.k, c.alpha, c.beta, c.pad)
}

func tname(t blas.Transpose) string {
	if t == blas.NoTrans {
		return "N"
	}
	return "T"
}

// operands are the matrices of one call, each a minimal slice (it ends at
// the last element the call may touch) with leading dimension ld.
type operands struct {
	a, b, c       []float32
	lda, ldb, ldc int
	free          func()
}

// newOperands lays out the matrices of gc, ending each at a guard page, and
// fills them with fill(); C's padding (never to be touched) gets a sentinel.
func newOperands(gc gemmCase, fill func() float32) *operands {
	ar, ac := gc.m, gc.k
	if gc.tA != blas.NoTrans {
		ar, ac = ac, ar
	}
	br, bc := gc.k, gc.n
	if gc.tB != blas.NoTrans {
		br, bc = bc, br
	}
	o := &operands{lda: max(1, ac+gc.pad), ldb: max(1, bc+gc.pad), ldc: max(1, gc.n+gc.pad)}
	var fa, fb, fc func()
	o.a, fa = guarded(size(ar, ac, o.lda))
	o.b, fb = guarded(size(br, bc, o.ldb))
	o.c, fc = guarded(size(gc.m, gc.n, o.ldc))
	o.free = func() { fa(); fb(); fc() }
	for i := range o.a {
		o.a[i] = fill()
	}
	for i := range o.b {
		o.b[i] = fill()
	}
	for i := range o.c {
		o.c[i] = sentinel
		if i%o.ldc < gc.n {
			o.c[i] = fill()
		}
	}
	return o
}

// sentinel marks C's padding.
const sentinel = float32(-12345.5)

func size(rows, cols, ld int) int {
	if rows == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// reference computes alpha·op(A)·op(B) + beta·C in float64 with a triple
// loop, and for each element the scale of its rounding error:
// |alpha|·Σ|a||b| + |beta·c|. C is not read when beta is 0, nor A and B
// when alpha is 0.
func reference(gc gemmCase, o *operands) (want, scale []float64) {
	// Rows of op(A) and columns of op(B), both k long, in float64.
	ar := dense(o.a, o.lda, gc.m, gc.k, gc.tA != blas.NoTrans)
	bc := dense(o.b, o.ldb, gc.n, gc.k, gc.tB == blas.NoTrans)
	want = make([]float64, gc.m*gc.n)
	scale = make([]float64, gc.m*gc.n)
	for i := range gc.m {
		for j := range gc.n {
			var s, abs float64
			if gc.alpha != 0 {
				for l, x := range ar[i*gc.k : (i+1)*gc.k] {
					p := x * bc[j*gc.k+l]
					s += p
					abs += math.Abs(p)
				}
			}
			w := float64(gc.alpha) * s
			e := math.Abs(float64(gc.alpha)) * abs
			if gc.beta != 0 {
				c := float64(gc.beta) * float64(o.c[i*o.ldc+j])
				w += c
				e += math.Abs(c)
			}
			want[i*gc.n+j], scale[i*gc.n+j] = w, e
		}
	}
	return want, scale
}

// dense returns the rows×cols matrix stored in x with leading dimension ld
// (transposed in storage when trans is set) as a row-major float64 slice.
func dense(x []float32, ld, rows, cols int, trans bool) []float64 {
	d := make([]float64, rows*cols)
	for r := range rows {
		for c := range cols {
			if trans {
				d[r*cols+c] = float64(x[c*ld+r])
			} else {
				d[r*cols+c] = float64(x[r*ld+c])
			}
		}
	}
	return d
}

// check runs gc on each of ims with data from fill and compares C with the
// reference, allowing tol times each element's error scale. It also checks
// that C's padding is untouched.
func check(t *testing.T, ims []subject, gc gemmCase, fill func() float32, tol float64) {
	t.Helper()
	o := newOperands(gc, fill)
	defer o.free()
	want, scale := reference(gc, o)
	c0 := slices.Clone(o.c)
	for _, im := range ims {
		copy(o.c, c0)
		im.blas.Sgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, gc.alpha, o.a, o.lda, o.b, o.ldb, gc.beta, o.c, o.ldc)
		compare(t, im.name, gc, o, want, scale, tol)
	}
}

// compare reports the elements of C that differ from want by more than
// tol·scale, and any write to C's padding.
func compare(t *testing.T, name string, gc gemmCase, o *operands, want, scale []float64, tol float64) {
	t.Helper()
	bad := 0
	for i, v := range o.c {
		r, col := i/o.ldc, i%o.ldc
		if col >= gc.n {
			if v != sentinel {
				t.Errorf("%s: %v: wrote c[%d,%d] outside C", name, gc, r, col)
				return
			}
			continue
		}
		w := want[r*gc.n+col]
		if d := math.Abs(float64(v) - w); !(d <= tol*scale[r*gc.n+col]) {
			t.Errorf("%s: %v: c[%d,%d] = %v, want %v", name, gc, r, col, v, w)
			if bad++; bad == 3 {
				return
			}
		}
	}
}

// integers fills matrices with small integers, whose products and sums
// float32 holds exactly in any order: the result must match to the bit.
func integers(rng *rand.Rand) func() float32 {
	return func() float32 { return float32(rng.IntN(9) - 4) }
}

// normals fills matrices with standard normal values.
func normals(rng *rand.Rand) func() float32 {
	return func() float32 { return float32(rng.NormFloat64()) }
}

var (
	transposes = []blas.Transpose{blas.NoTrans, blas.Trans}
	// scalars are exact on integers: their products with small integers
	// need no rounding.
	alphas = []float32{1, -0.5, 1.5}
	betas  = []float32{0, 1, -2, 0.25}
)

// edges are sizes at and around the boundaries of the register tile (6
// and 16) and of the transposing packs (8); TestSgemmBlocks crosses the
// larger ones.
var edges = []int{1, 2, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33}

func TestSgemmSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ims := implementations()
	for _, tA := range transposes {
		for _, tB := range transposes {
			for _, m := range edges {
				for _, n := range edges {
					k := edges[rng.IntN(len(edges))]
					gc := gemmCase{tA: tA, tB: tB, m: m, n: n, k: k,
						alpha: alphas[rng.IntN(len(alphas))], beta: betas[rng.IntN(len(betas))], pad: rng.IntN(3)}
					check(t, ims, gc, integers(rng), 0)
				}
			}
		}
	}
}

// TestSgemmBlocks crosses the cache blocks and the goroutine split, on
// integers (exact) and on normal values (within float32 accumulation error).
func TestSgemmBlocks(t *testing.T) {
	shapes := [][3]int{
		{143, 17, 255}, {144, 16, 256}, {145, 33, 257}, {5, 40, 600},
		{40, 20, 700}, {7, 2047, 9}, {13, 2049, 300}, {289, 40, 513},
		{600, 530, 70}, {530, 600, 1}, {256, 300, 192}, {31, 4100, 17},
	}
	ims := implementations()
	if testing.Short() {
		// gonum's own Sgemm (the fallback) is not under test here.
		shapes = shapes[:7]
		ims = slices.DeleteFunc(ims, func(s subject) bool { return s.name == "fallback" })
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				gc := gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2],
					alpha: alphas[i%len(alphas)], beta: betas[i%len(betas)], pad: i % 3}
				check(t, ims, gc, integers(rng), 0)
				gc.alpha, gc.beta = 0.7, 0.3
				check(t, ims, gc, normals(rng), tolerance(gc.k))
			}
		}
	}
}

// tolerance is the float32 error bound for a k-term dot product plus the
// final scaling and sum, relative to |alpha|·Σ|a||b| + |beta·c|, with a
// margin of 2.
func tolerance(k int) float64 { return 2 * float64(k+3) * 0x1p-24 }

// C must not be read when beta is 0 (NaN there must not come through), and
// A and B not when alpha is 0.
func TestSgemmSkipsUnread(t *testing.T) {
	nan := float32(math.NaN())
	for _, im := range implementations() {
		for _, s := range [][3]int{{1, 1, 1}, {6, 16, 8}, {40, 70, 300}, {300, 530, 20}} {
			gc := gemmCase{tA: blas.NoTrans, tB: blas.Trans, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0, pad: 1}
			o := newOperands(gc, func() float32 { return 1 })
			for i := range o.c {
				if i%o.ldc < gc.n {
					o.c[i] = nan
				}
			}
			im.blas.Sgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
			if v := o.c[(gc.m-1)*o.ldc+gc.n-1]; v != float32(gc.k) {
				t.Errorf("%s: %v: beta = 0 over NaN gave %v, want %d", im.name, gc, v, gc.k)
			}
			for i := range o.a {
				o.a[i] = nan
			}
			im.blas.Sgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 0, o.a, o.lda, o.b, o.ldb, 2, o.c, o.ldc)
			if v := o.c[0]; v != float32(2*gc.k) {
				t.Errorf("%s: %v: alpha = 0 with NaN in A gave %v, want %d", im.name, gc, v, 2*gc.k)
			}
			o.free()
		}
	}
}

// Degenerate shapes: k = 0 scales C by beta; m or n = 0 touches nothing.
func TestSgemmEmpty(t *testing.T) {
	for _, s := range [][3]int{{3, 4, 0}, {0, 4, 5}, {3, 0, 5}, {0, 0, 0}} {
		for _, beta := range []float32{0, 2} {
			gc := gemmCase{tA: blas.NoTrans, tB: blas.NoTrans, m: s[0], n: s[1], k: s[2], alpha: 1, beta: beta, pad: 1}
			check(t, implementations(), gc, func() float32 { return 3 }, 0)
		}
	}
}

// A 2×3 by 3×2 product with a hand-computed answer.
func TestSgemmHand(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	want := []float32{58, 64, 139, 154}
	for _, im := range implementations() {
		c := make([]float32, 4)
		im.blas.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
		for i := range want {
			if c[i] != want[i] {
				t.Fatalf("%s: c = %v, want %v", im.name, c, want)
			}
		}
	}
}

// Bad arguments panic with gonum's messages.
func TestSgemmPanics(t *testing.T) {
	x := make([]float32, 12)
	cases := []struct {
		name        string
		tA          blas.Transpose
		m, n, k     int
		lda, ldb    int
		a, b, c     []float32
		ldc         int
		wantMessage string
	}{
		{"transpose", 'x', 2, 2, 2, 2, 2, x, x, x, 2, "blas: illegal transpose"},
		{"m", blas.NoTrans, -1, 2, 2, 2, 2, x, x, x, 2, "blas: m < 0"},
		{"lda", blas.NoTrans, 2, 2, 3, 2, 2, x, x, x, 2, "blas: bad leading dimension of A"},
		{"ldc", blas.NoTrans, 2, 3, 2, 2, 3, x, x, x, 2, "blas: bad leading dimension of C"},
		{"short a", blas.NoTrans, 2, 2, 2, 2, 2, x[:3], x, x, 2, "blas: insufficient length of a"},
		{"short c", blas.NoTrans, 2, 2, 2, 2, 2, x, x, x[:3], 2, "blas: insufficient length of c"},
	}
	for _, im := range implementations() {
		for _, tc := range cases {
			func() {
				defer func() {
					if r := recover(); r != tc.wantMessage {
						t.Errorf("%s: %s: panic %v, want %q", im.name, tc.name, r, tc.wantMessage)
					}
				}()
				im.blas.Sgemm(tc.tA, blas.NoTrans, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ldc)
			}()
		}
	}
}

// FuzzSgemm runs the kernel on every shape up to 63×63×127 in every
// transpose, with integer data so the result must be exact.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint8(1), uint8(0), uint8(0), int64(1))
	f.Add(uint8(7), uint8(17), uint8(9), uint8(3), uint8(5), int64(2))
	f.Add(uint8(13), uint8(33), uint8(100), uint8(2), uint8(14), int64(3))
	if !hasKernel {
		f.Skip("no AVX2/FMA kernel on this CPU")
	}
	f.Fuzz(func(t *testing.T, m, n, k, flags, scalars uint8, seed int64) {
		rng := rand.New(rand.NewPCG(uint64(seed), 0))
		gc := gemmCase{
			tA: transposes[flags&1], tB: transposes[flags>>1&1],
			m: int(m % 64), n: int(n % 64), k: int(k % 128),
			alpha: alphas[int(scalars)%len(alphas)], beta: betas[int(scalars/4)%len(betas)],
			pad: int(flags>>2) % 4,
		}
		im := subject{"kernel", goBLAS{always: true, threads: 1 + int(flags>>4)%3}}
		check(t, []subject{im}, gc, integers(rng), 0)
	})
}
