package pgdump

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

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
	out     outgoing
	in      incoming
	aborted atomic.Bool
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

// abort makes pg_dump's reads return end of file, so that it stops; the connection stays
// open for close's clean-up.
func (l *link) abort() {
	l.aborted.Store(true)
	_ = l.conn.SetReadDeadline(time.Now())
}

// close ends the writer (after what was queued), ends pg_dump's session on the server
// (see outgoing.cleanUp) and closes the connection.
func (l *link) close(log zerolog.Logger) {
	l.closing.Do(func() {
		close(l.queue)
		<-l.done
		if l.failed() == nil {
			if err := l.out.cleanUp(l.conn, &l.in); err != nil {
				log.Warn().Err(err).Msg("pg_dump's session could not be cleaned up; its prepared statements may stay in the backend")
			}
		}
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
		if l.aborted.Load() {
			s[0] = 0
			return
		}
		got, err := l.conn.Read(p.Bytes(buf, n))
		l.in.feed(p.Bytes(buf, uint32(got)))
		if l.aborted.Load() || got == 0 && err != nil {
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
		if b := l.out.feed(p.Bytes(buf, n)); len(b) > 0 {
			l.queue <- b
		}
		s[0] = uint64(n)
	}
	return cbs
}
