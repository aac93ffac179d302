package wasmbin

import "fmt"

// eachSection calls f with every section of wasm, in order, after the 8-byte header: the one
// loop over section headers that the passes share.
func eachSection(wasm []byte, f func(id byte, body []byte) error) error {
	c := &cursor{p: wasm, off: 8}
	for c.remaining() > 0 {
		id := c.byte()
		size := c.u32()
		body := c.bytes(int(size))
		if c.err != nil {
			return fmt.Errorf("wasmbin: section %d header: %w", id, c.err)
		}
		if err := f(id, body); err != nil {
			return err
		}
	}
	return nil
}

// mapSections returns wasm with every section's payload replaced by what edit returns for
// it, in the same order: the shape of a pass that appends to or rewrites sections in place.
func mapSections(wasm []byte, edit func(id byte, body []byte) ([]byte, error)) ([]byte, error) {
	out := append([]byte(nil), wasm[:8]...)
	err := eachSection(wasm, func(id byte, body []byte) error {
		body, err := edit(id, body)
		if err != nil {
			return err
		}
		out = appendSection(out, id, body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// skipLocals skips the local declarations at the start of a function body.
func skipLocals(c *cursor) {
	for n := c.count(2); n > 0 && c.err == nil; n-- {
		c.u32()
		skipValType(c)
	}
}
