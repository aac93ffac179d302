package wasmbin

import "errors"

// errOverflow reports a LEB128 number longer than its declared width.
var errOverflow = errors.New("wasmbin: LEB128 overflow")

// errEOF reports a read past the end of a section or of the module.
var errEOF = errors.New("wasmbin: unexpected end of data")

// appendU32 appends v as unsigned LEB128, the encoding of every count, index
// and size in the binary format.
// https://webassembly.github.io/spec/core/binary/values.html#integers
func appendU32(dst []byte, v uint32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

// appendS64 appends v as signed LEB128, the encoding of i32.const and
// i64.const immediates.
func appendS64(dst []byte, v int64) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		done := (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0)
		if done {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

// decodeU64 decodes an unsigned LEB128 of at most bits bits from p and returns
// the value and the number of bytes used.
func decodeU64(p []byte, bits uint) (uint64, int, error) {
	var v uint64
	var shift uint
	for i := 0; i < len(p); i++ {
		b := p[i]
		if shift >= bits || (bits-shift < 7 && uint64(b&0x7f)>>(bits-shift) != 0) {
			return 0, 0, errOverflow
		}
		v |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, i + 1, nil
		}
		shift += 7
	}
	return 0, 0, errEOF
}

// decodeS64 decodes a signed LEB128 of at most bits bits from p and returns the
// sign-extended value and the number of bytes used. Unused high bits of the
// last byte are not checked: a host only reads constants, it does not validate.
func decodeS64(p []byte, bits uint) (int64, int, error) {
	var v int64
	var shift uint
	maxLen := int((bits + 6) / 7)
	for i := 0; i < len(p); i++ {
		if i >= maxLen {
			return 0, 0, errOverflow
		}
		b := p[i]
		v |= int64(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			if shift < 64 && b&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, errEOF
}
