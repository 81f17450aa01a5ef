package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/transplant-dev/transplant/safetensors/tensortest"
)

// TestPythonWrittenFile reads a file written by an independent writer and
// compares every tensor with the values torch widens it to, bit for bit.
func TestPythonWrittenFile(t *testing.T) {
	f, err := Open("testdata/python.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if md := f.Metadata(); md["format"] != "pt" || md["source"] != "make_fixtures.py" {
		t.Errorf("metadata = %v", md)
	}
	golden := tensortest.ReadGolden(t, "testdata/python.golden.json")
	describe := func(name string) (string, []int, bool) {
		info, ok := f.Tensor(name)
		return string(info.Dtype), info.Shape, ok
	}
	tensortest.CheckGolden(t, f, describe, len(f.Tensors()), golden)
	for name, want := range golden {
		if _, _, err := f.Float32(name); (want.BytesHex != "") != errors.Is(err, ErrDtype) {
			t.Errorf("%s: Float32 of %s: err = %v", name, want.Dtype, err)
		}
	}
}

// TestNarrowingMatchesTorch checks float32 → F16/BF16 rounding against
// torch's .half() and .bfloat16(), ties and NaNs included.
func TestNarrowingMatchesTorch(t *testing.T) {
	data, err := os.ReadFile("testdata/narrow.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		F32  []uint32 `json:"f32_bits"`
		F16  []uint16 `json:"f16_bits"`
		BF16 []uint16 `json:"bf16_bits"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	src := make([]float32, len(g.F32))
	for i, b := range g.F32 {
		src[i] = math.Float32frombits(b)
	}
	for _, tc := range []struct {
		dt   Dtype
		want []uint16
	}{{F16, g.F16}, {BF16, g.BF16}} {
		dst := make([]byte, 2*len(src))
		if err := FromFloat32(dst, src, tc.dt); err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i := range src {
			got := binary.LittleEndian.Uint16(dst[2*i:])
			if src[i] != src[i] {
				// torch's vectorised BF16 path writes 0xFFFF for every NaN,
				// its scalar path 0x7FC0: any NaN is right.
				if !isNaN16(got, tc.dt) {
					t.Errorf("%s(NaN %#08x) = %#04x, not a NaN", tc.dt, g.F32[i], got)
				}
				continue
			}
			if got != tc.want[i] && bad < 5 {
				bad++
				t.Errorf("%s(%#08x) = %#04x, torch says %#04x", tc.dt, g.F32[i], got, tc.want[i])
			}
		}
		// Widening what we narrowed gives back a value torch also produced.
		back := make([]float32, len(src))
		if err := ToFloat32(back, dst, tc.dt); err != nil {
			t.Fatal(err)
		}
		for i, v := range back {
			var again [2]byte
			FromFloat32(again[:], []float32{v}, tc.dt)
			if binary.LittleEndian.Uint16(again[:]) != binary.LittleEndian.Uint16(dst[2*i:]) {
				t.Errorf("%s: %#08x does not survive narrow→widen→narrow", tc.dt, g.F32[i])
				break
			}
		}
	}
}

func TestWideningExact(t *testing.T) {
	// Every F16 and BF16 bit pattern widens to a float32 that narrows back
	// to the same pattern (NaNs aside, which narrow to the canonical NaN).
	for u := 0; u < 1<<16; u++ {
		h := uint16(u)
		if f := Float16ToFloat32(h); f == f && Float32ToFloat16(f) != h {
			t.Fatalf("F16 %#04x → %v → %#04x", h, f, Float32ToFloat16(f))
		}
		if f := BFloat16ToFloat32(h); f == f && Float32ToBFloat16(f) != h {
			t.Fatalf("BF16 %#04x → %v → %#04x", h, f, Float32ToBFloat16(f))
		}
	}
}

func isNaN16(h uint16, dt Dtype) bool {
	if dt == BF16 {
		return h&0x7fff > 0x7f80
	}
	return h&0x7fff > 0x7c00
}

// TestBulkBF16MatchesScalar checks the bulk BF16 loops (four at a time,
// eight with AVX2) against the one-element conversions, on every bit
// pattern and on lengths that leave each possible tail.
func TestBulkBF16MatchesScalar(t *testing.T) {
	for n := range 20 {
		for start := 0; start < 1<<16; start += max(n, 1) {
			raw := make([]byte, 2*n)
			for i := range n {
				binary.LittleEndian.PutUint16(raw[2*i:], uint16(start+i))
			}
			wide := make([]float32, n)
			if err := ToFloat32(wide, raw, BF16); err != nil {
				t.Fatal(err)
			}
			narrow := make([]byte, 2*n)
			if err := FromFloat32(narrow, wide, BF16); err != nil {
				t.Fatal(err)
			}
			for i, f := range wide {
				h := binary.LittleEndian.Uint16(raw[2*i:])
				if math.Float32bits(f) != math.Float32bits(BFloat16ToFloat32(h)) {
					t.Fatalf("n=%d: widening %#04x gave %#08x", n, h, math.Float32bits(f))
				}
				if got := binary.LittleEndian.Uint16(narrow[2*i:]); got != Float32ToBFloat16(f) {
					t.Fatalf("n=%d: narrowing %v gave %#04x, want %#04x", n, f, got, Float32ToBFloat16(f))
				}
			}
		}
	}
}

// TestNarrowBF16Rounds checks the bulk narrowing (eight at a time with
// AVX2, four otherwise) against Float32ToBFloat16 on float32 bit patterns
// that need rounding: ties to even and odd, carries into the exponent and
// into infinity, NaNs of every sign and payload, and random ones, at
// lengths that leave each possible tail.
func TestNarrowBF16Rounds(t *testing.T) {
	special := []uint32{0x3f808000, 0x3f818000, 0x3f80ffff, 0x3f7fffff, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000,
		0x7f800001, 0x7fffffff, 0xffffffff, 0xff800001, 0x7fc00000, 0x00008000, 0x80018000, 0x0000ffff}
	rng := rand.New(rand.NewPCG(7, 8))
	for n := range 41 {
		for round := range 50 {
			src := make([]float32, n)
			for i := range src {
				u := rng.Uint32()
				if (i+round)%3 == 0 {
					u = special[rng.IntN(len(special))]
				}
				src[i] = math.Float32frombits(u)
			}
			dst := make([]byte, 2*n)
			if err := FromFloat32(dst, src, BF16); err != nil {
				t.Fatal(err)
			}
			for i, f := range src {
				if got, want := binary.LittleEndian.Uint16(dst[2*i:]), Float32ToBFloat16(f); got != want {
					t.Fatalf("n=%d: narrowing %#08x gave %#04x, want %#04x", n, math.Float32bits(f), got, want)
				}
			}
		}
	}
}
