package wirefuzz

import "encoding/binary"

// A coder reads or writes one field of the fuzz input. Every op describes its fields once,
// through a coder, so decoding and encoding cannot drift apart: a seed written as ops
// encodes to the very bytes that decode back to it, and the fuzzer's mutations of those
// bytes change fields (a name, a length mode, a template's size), not just bytes.
type coder interface {
	u8(*uint8)
	uv(*uint32)
	bytes(*[]byte)
	// count codes a list length; a decoder caps it at max.
	count(n *int, max int)
}

func str(c coder, s *string) {
	b := []byte(*s)
	c.bytes(&b)
	*s = string(b)
}

// encoder appends fields to a byte string.
type encoder struct{ b []byte }

func (e *encoder) u8(v *uint8)  { e.b = append(e.b, *v) }
func (e *encoder) uv(v *uint32) { e.b = binary.AppendUvarint(e.b, uint64(*v)) }
func (e *encoder) bytes(v *[]byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(*v)))
	e.b = append(e.b, *v...)
}
func (e *encoder) count(n *int, _ int) { e.b = binary.AppendUvarint(e.b, uint64(*n)) }

// decoder reads fields from any byte string: past the end every field is zero, and no
// length can claim more than what is left, so every input decodes.
type decoder struct{ b []byte }

func (d *decoder) u8(v *uint8) {
	*v = 0
	if len(d.b) > 0 {
		*v, d.b = d.b[0], d.b[1:]
	}
}

func (d *decoder) uv(v *uint32) {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		*v, d.b = 0, nil
		return
	}
	*v, d.b = uint32(x), d.b[n:]
}

func (d *decoder) bytes(v *[]byte) {
	var n uint32
	d.uv(&n)
	if int(n) > len(d.b) || int(n) < 0 {
		n = uint32(len(d.b))
	}
	*v = append([]byte{}, d.b[:n]...)
	d.b = d.b[n:]
}

func (d *decoder) count(n *int, max int) {
	var x uint32
	d.uv(&x)
	*n = int(x % uint32(max+1))
}

func (d *decoder) done() bool { return len(d.b) == 0 }
