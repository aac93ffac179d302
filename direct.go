package pglite

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/pglite-go/pglite/bridge"
)

// serveDirect serves one client on conn straight from an instance, without the actor
// tree, until the client terminates. NewTemplate uses it to run the setup on an instance
// it keeps to itself. Trust authentication; SSL and GSS requests are declined.
func serveDirect(ctx context.Context, inst *bridge.Instance, conn net.Conn) error {
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 64<<10)
	write := func(b []byte) error { _, err := conn.Write(b); return err }
	if err := directStartup(ctx, inst, r, conn, write); err != nil {
		return err
	}
	more := func() ([]byte, error) { return readMessage(r) }
	for {
		batch, done, err := readBatch(r)
		if err != nil {
			return nil // the client went away
		}
		if len(batch) > 0 {
			if err := inst.ExecStream(ctx, batch, more, write); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// directStartup answers SSL/GSS requests with 'N' and hands the startup packet to the
// backend, which greets the client.
func directStartup(ctx context.Context, inst *bridge.Instance, r *bufio.Reader, conn net.Conn, write func([]byte) error) error {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("pglite: direct: startup: %w", err)
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n < 8 || n > 10000 {
			return errors.New("pglite: direct: bad startup packet")
		}
		pkt := make([]byte, n)
		copy(pkt, hdr[:])
		if _, err := io.ReadFull(r, pkt[4:]); err != nil {
			return err
		}
		switch binary.BigEndian.Uint32(pkt[4:8]) {
		case 80877103, 80877104: // SSLRequest, GSSENCRequest
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return err
			}
			continue
		}
		return inst.Exec(ctx, pkt, write)
	}
}

// readBatch returns every whole message that has arrived (at least one), and whether the
// client sent Terminate.
func readBatch(r *bufio.Reader) (batch []byte, done bool, err error) {
	for {
		m, err := readMessage(r)
		if err != nil {
			return batch, false, err
		}
		if m[0] == 'X' {
			return batch, true, nil
		}
		batch = append(batch, m...)
		if !wholeMessageBuffered(r) {
			return batch, false, nil
		}
	}
}

// readMessage reads one typed frontend message.
func readMessage(r *bufio.Reader) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[1:]))
	if n < 4 {
		return nil, errors.New("pglite: direct: bad message length")
	}
	m := make([]byte, 1+n)
	copy(m, hdr[:])
	_, err := io.ReadFull(r, m[5:])
	return m, err
}

// wholeMessageBuffered reports whether a complete message is already buffered, so that a
// batch never waits for input the client has not sent.
func wholeMessageBuffered(r *bufio.Reader) bool {
	if r.Buffered() < 5 {
		return false
	}
	hdr, _ := r.Peek(5)
	n := 1 + int(binary.BigEndian.Uint32(hdr[1:]))
	return r.Buffered() >= n
}
