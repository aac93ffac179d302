package pgdump

import (
	"net"
	"sync"

	"github.com/pglite-go/pglite/emscripten"
)

// The callback slots libpq's pgl_recv and pgl_send are bound to (pgl_set_rw_cbs), both
// (buffer, length) -> count, like the functions pglite-tools' glue adds with addFunction.
const (
	readSlot  = emscripten.CallbackII0
	writeSlot = emscripten.CallbackII1
)

// link carries libpq's protocol traffic over a net.Conn. pg_dump's libpq polls (pgl_poll
// answers "ready" at once) and then reads, so a read blocks until the server has sent
// something; 0 is end of file. Writes are queued for a goroutine, so that pg_dump, which
// only reads when it has written, never waits on a server that is itself waiting for its
// answer to be read: with net.Pipe neither side buffers.
type link struct {
	conn    net.Conn
	queue   chan []byte
	done    chan struct{}
	mu      sync.Mutex
	err     error // first write error
	closing sync.Once
}

func newLink(conn net.Conn) *link {
	l := &link{conn: conn, queue: make(chan []byte, 64), done: make(chan struct{})}
	go l.writer()
	return l
}

func (l *link) writer() {
	defer close(l.done)
	for b := range l.queue {
		if l.failed() != nil {
			continue
		}
		if _, err := l.conn.Write(b); err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
		}
	}
}

func (l *link) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// abort closes the connection, so that a read pg_dump waits in returns end of file.
func (l *link) abort() { _ = l.conn.Close() }

// close ends the writer (after what was queued) and the connection.
func (l *link) close() {
	l.closing.Do(func() {
		close(l.queue)
		<-l.done
		_ = l.conn.Close()
	})
}

func (l *link) callbacks() [8]emscripten.CallbackFunc {
	var cbs [8]emscripten.CallbackFunc
	cbs[readSlot] = func(p *emscripten.Process, s []uint64) {
		buf, n := uint32(s[0]), uint32(s[1])
		if n == 0 {
			s[0] = 0
			return
		}
		got, err := l.conn.Read(p.Bytes(buf, n))
		if got == 0 && err != nil {
			s[0] = 0 // end of file: libpq reports the server closed the connection
			return
		}
		s[0] = uint64(got)
	}
	cbs[writeSlot] = func(p *emscripten.Process, s []uint64) {
		buf, n := uint32(s[0]), uint32(s[1])
		if l.failed() != nil {
			s[0] = uint64(uint32(0xffffffff)) // -1
			return
		}
		l.queue <- append([]byte(nil), p.Bytes(buf, n)...)
		s[0] = uint64(n)
	}
	return cbs
}
