package wirefuzz

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// rawClient is the fuzzed client: a plain TCP connection that logs in properly and then
// writes whatever its program says. A goroutine reads everything the server sends, so the
// server is never stalled by this client not reading, and notes what arrived so that waits
// and the end of an iteration can follow the server rather than a clock.
type rawClient struct {
	addr string
	conn net.Conn

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every message
	counts  [256]int
	last    byte
	lastAt  time.Time
	closed  bool
	readErr error
	// expectReady counts the ReadyForQuery messages the ops sent call for (login's aside).
	expectReady int
	pid         uint32
	key         []byte
	errs        []string // the first few ErrorResponses, for failure reports
}

// dialClient connects and logs in as postgres, trust authentication.
func dialClient(addr string, deadline time.Time) (*rawClient, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Until(deadline))
	if err != nil {
		return nil, err
	}
	c := &rawClient{addr: addr, conn: conn, changed: make(chan struct{}), lastAt: time.Now()}
	go c.read()
	_ = conn.SetWriteDeadline(deadline)
	if _, err := conn.Write(startupMessage()); err != nil {
		conn.Close()
		return nil, err
	}
	if !c.waitUntil(deadline, func() bool { return c.counts['Z'] > 0 }) {
		conn.Close()
		return nil, fmt.Errorf("login: no ReadyForQuery (errors %q, read %v)", c.errors(), c.readError())
	}
	return c, nil
}

func startupMessage() []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint32(b, 3<<16)
	for _, kv := range []string{"user", "postgres", "database", "postgres", "application_name", "wirefuzz"} {
		b = append(append(b, kv...), 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// read parses backend messages until the connection ends.
func (c *rawClient) read() {
	r := bufio.NewReaderSize(c.conn, 64<<10)
	var hdr [5]byte
	var err error
	for {
		if _, err = io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
		if n < 0 || n > 1<<30 {
			err = fmt.Errorf("server sent a bad length %d for %q", n+4, hdr[0])
			break
		}
		var body []byte
		switch hdr[0] {
		case 'E', 'K':
			body = make([]byte, n)
			_, err = io.ReadFull(r, body)
		default:
			_, err = r.Discard(n)
		}
		if err != nil {
			break
		}
		c.note(hdr[0], body)
	}
	c.mu.Lock()
	c.closed, c.readErr = true, err
	c.signal()
	c.mu.Unlock()
}

func (c *rawClient) note(typ byte, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[typ]++
	c.last, c.lastAt = typ, time.Now()
	switch typ {
	case 'K':
		if len(body) >= 4 {
			c.pid, c.key = binary.BigEndian.Uint32(body), append([]byte(nil), body[4:]...)
		}
	case 'E':
		if len(c.errs) < 8 {
			c.errs = append(c.errs, errorText(body))
		}
	}
	c.signal()
}

func (c *rawClient) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// errorText renders an ErrorResponse as "SEVERITY CODE: message".
func errorText(body []byte) string {
	var sev, code, text string
	for _, f := range strings.Split(string(body), "\x00") {
		if f == "" {
			continue
		}
		switch f[0] {
		case 'V':
			sev = f[1:]
		case 'C':
			code = f[1:]
		case 'M':
			text = f[1:]
		}
	}
	return fmt.Sprintf("%s %s: %s", sev, code, text)
}

// waitUntil waits until cond (called under the lock) holds, the connection has ended, or
// the deadline passes; it reports cond.
func (c *rawClient) waitUntil(deadline time.Time, cond func() bool) bool {
	for {
		c.mu.Lock()
		ok, closed, ch := cond(), c.closed, c.changed
		c.mu.Unlock()
		if ok || closed {
			return ok
		}
		d := time.Until(deadline)
		if d <= 0 {
			return false
		}
		t := time.NewTimer(d)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
}

// maxWait bounds one Wait op.
const maxWait = 300 * time.Millisecond

// waitFor carries out a Wait op. N%4 picks what to wait for: a pause of N/4 ms, the next
// ReadyForQuery, the next CopyInResponse or CopyOutResponse, or any next message.
func (c *rawClient) waitFor(n uint32, deadline time.Time) {
	until := time.Now().Add(maxWait)
	if until.After(deadline) {
		until = deadline
	}
	c.mu.Lock()
	z, copies, total := c.counts['Z'], c.counts['G']+c.counts['H'], c.total()
	c.mu.Unlock()
	switch n % 4 {
	case 0:
		pause := time.Duration(n/4) * time.Millisecond
		if p := time.Until(until); pause > p {
			pause = p
		}
		time.Sleep(max(pause, 0))
	case 1:
		c.waitUntil(until, func() bool { return c.counts['Z'] > z })
	case 2:
		c.waitUntil(until, func() bool { return c.counts['G']+c.counts['H'] > copies })
	case 3:
		c.waitUntil(until, func() bool { return c.total() > total })
	}
}

func (c *rawClient) total() int {
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// settle waits until the server has answered what it was sent: the connection ended, or
// every Query, Sync and FunctionCall sent has had its ReadyForQuery and nothing followed for
// a moment, or the deadline passed (a half message the server waits on, a long statement).
func (c *rawClient) settle(deadline time.Time) {
	const afterReady = 60 * time.Millisecond
	for time.Now().Before(deadline) {
		c.mu.Lock()
		closed, answered, quiet := c.closed, c.counts['Z'] >= 1+c.expectReady, time.Since(c.lastAt)
		c.mu.Unlock()
		if closed || (answered && quiet >= afterReady) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cancel sends a CancelRequest for this session from a second connection, as libpq and
// pgx do.
func (c *rawClient) cancel(deadline time.Time) error {
	c.mu.Lock()
	pid, key := c.pid, c.key
	c.mu.Unlock()
	if key == nil {
		return errors.New("no BackendKeyData")
	}
	conn, err := net.DialTimeout("tcp", c.addr, time.Until(deadline))
	if err != nil {
		return err
	}
	defer conn.Close()
	b := binary.BigEndian.AppendUint32(nil, uint32(12+len(key)))
	b = binary.BigEndian.AppendUint32(b, 80877102)
	b = binary.BigEndian.AppendUint32(b, pid)
	b = append(b, key...)
	_ = conn.SetDeadline(deadline)
	_, err = conn.Write(b)
	return err
}

// write sends b, giving up at the deadline (a server that does not read must not hang
// the test; it shows up as the witness failing). A complete Query, Sync or FunctionCall
// adds a ReadyForQuery for settle to expect.
func (c *rawClient) write(b []byte, deadline time.Time) error {
	_ = c.conn.SetWriteDeadline(deadline)
	if _, err := c.conn.Write(b); err != nil {
		return err
	}
	if len(b) >= 5 && int(binary.BigEndian.Uint32(b[1:5])) == len(b)-1 {
		switch b[0] {
		case 'Q', 'S', 'F':
			c.mu.Lock()
			c.expectReady++
			c.mu.Unlock()
		}
	}
	return nil
}

func (c *rawClient) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

func (c *rawClient) readError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// isClosed reports whether the server has ended the connection.
func (c *rawClient) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *rawClient) close() { c.conn.Close() }

// summary says how the session went from the fuzzed client's side, for the test log.
func (c *rawClient) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	how := "still open"
	if c.closed {
		how = fmt.Sprintf("closed by the server (%v)", c.readErr)
	}
	return fmt.Sprintf("%d ReadyForQuery of %d expected, %s, errors %q",
		c.counts['Z']-1, c.expectReady, how, c.errs)
}
