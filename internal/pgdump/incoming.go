package pgdump

import (
	"encoding/binary"
	"fmt"
	"io"
)

// incoming follows the message boundaries of what pg_dump's libpq has read, so that after
// pg_dump stopped in the middle of a message (see link.abort) the rest of it can be skipped
// and the stream read as messages again (outgoing.cleanUp).
type incoming struct {
	hdr      [5]byte
	hdrLen   int
	bodyLeft int
}

// feed follows the bytes libpq read.
func (in *incoming) feed(b []byte) {
	for len(b) > 0 {
		if in.bodyLeft > 0 {
			n := min(in.bodyLeft, len(b))
			in.bodyLeft -= n
			b = b[n:]
			continue
		}
		n := copy(in.hdr[in.hdrLen:], b)
		in.hdrLen += n
		b = b[n:]
		if in.hdrLen == len(in.hdr) {
			in.bodyLeft = int(binary.BigEndian.Uint32(in.hdr[1:])) - 4
			in.hdrLen = 0
		}
	}
}

// skipRest reads from r what is left of the message libpq was reading.
func (in *incoming) skipRest(r io.Reader) error {
	if in.hdrLen > 0 {
		if _, err := io.ReadFull(r, in.hdr[in.hdrLen:]); err != nil {
			return err
		}
		in.bodyLeft = int(binary.BigEndian.Uint32(in.hdr[1:])) - 4
		in.hdrLen = 0
	}
	if in.bodyLeft < 0 {
		return fmt.Errorf("pgdump: bad message length from the server")
	}
	_, err := io.CopyN(io.Discard, r, int64(in.bodyLeft))
	in.bodyLeft = 0
	return err
}
