package wasmbin

// cursor walks a byte slice. The first failure sticks in err and every later
// read returns zero values, so parsing code checks err once per item instead
// of after every field, and arbitrary input can never index out of range.
type cursor struct {
	p   []byte
	off int
	err error
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.off = len(c.p)
}

func (c *cursor) remaining() int { return len(c.p) - c.off }

func (c *cursor) byte() byte {
	if c.err != nil {
		return 0
	}
	if c.off >= len(c.p) {
		c.fail(errEOF)
		return 0
	}
	b := c.p[c.off]
	c.off++
	return b
}

func (c *cursor) bytes(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > c.remaining() {
		c.fail(errEOF)
		return nil
	}
	b := c.p[c.off : c.off+n]
	c.off += n
	return b
}

func (c *cursor) u32() uint32 {
	v, _ := c.uN(32)
	return uint32(v)
}

func (c *cursor) uN(bits uint) (uint64, bool) {
	if c.err != nil {
		return 0, false
	}
	v, n, err := decodeU64(c.p[c.off:], bits)
	if err != nil {
		c.fail(err)
		return 0, false
	}
	c.off += n
	return v, true
}

func (c *cursor) sN(bits uint) int64 {
	if c.err != nil {
		return 0
	}
	v, n, err := decodeS64(c.p[c.off:], bits)
	if err != nil {
		c.fail(err)
		return 0
	}
	c.off += n
	return v
}

func (c *cursor) name() string {
	n := c.u32()
	return string(c.bytes(int(n)))
}

// count reads a vector length and rejects one that cannot fit in the rest of
// the data (every element takes at least minSize bytes), so a corrupt length
// never drives a huge allocation.
func (c *cursor) count(minSize int) int {
	n := c.u32()
	if c.err == nil && uint64(n)*uint64(minSize) > uint64(c.remaining()) {
		c.fail(errEOF)
		return 0
	}
	return int(n)
}

// sub returns a cursor over the next n bytes and advances past them.
func (c *cursor) sub(n uint32) *cursor {
	return &cursor{p: c.bytes(int(n)), err: c.err}
}
