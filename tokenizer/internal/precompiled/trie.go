package precompiled

// doubleArray is a darts-clone double-array trie: each uint32 unit holds a
// label byte, a flag saying whether the node has a value child, and the XOR
// offset to its children. A value unit has its top bit set (so it never
// equals a label) and keeps the value in the other 31 bits.
//
// Units come from untrusted input, so every index is checked: a lookup that
// would leave the array finds nothing rather than panicking.
type doubleArray []uint32

const (
	labelMask  = 1<<31 | 0xff
	hasLeafBit = 1 << 8
	valueMask  = 1<<31 - 1
)

// offset is the XOR distance from a node to its children. Bit 9 selects
// whether the stored 22-bit offset is scaled by 256, which lets darts-clone
// reach far-away children with a short field.
func offset(unit uint32) int {
	return int(unit>>10) << ((unit & (1 << 9)) >> 6)
}

// shortestPrefix returns the value of the shortest trie key that is a
// prefix of key. As in darts-clone, a NUL byte ends the key.
func (a doubleArray) shortestPrefix(key string) (value uint32, ok bool) {
	if len(a) == 0 {
		return 0, false
	}
	pos := offset(a[0])
	for i := 0; i < len(key) && key[i] != 0; i++ {
		pos ^= int(key[i])
		if pos >= len(a) {
			return 0, false
		}
		unit := a[pos]
		if unit&labelMask != uint32(key[i]) {
			return 0, false
		}
		pos ^= offset(unit)
		if unit&hasLeafBit != 0 {
			if pos >= len(a) {
				return 0, false
			}
			return a[pos] & valueMask, true
		}
	}
	return 0, false
}
