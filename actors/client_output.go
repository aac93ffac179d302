package actors

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pglite-go/pglite/socket"
)

// clientOutput is the ordered byte stream to one client.
//
// Query results are written by the goroutine that runs the query, straight to the socket:
// the client reads them as the backend produces them and no goroutine is woken per query. A
// client that does not read holds that goroutine, and with it the backend, for at most
// timeout; then it is dropped. Everything else (the greeting, notifications, a final FATAL)
// comes from the ConnectionHandler, whose Receive must not block on a socket, so it is posted
// to a queue that the writer goroutine drains. A result written while the queue holds
// something joins the queue, so the order is kept.
type clientOutput struct {
	conn    net.Conn
	timeout time.Duration // how long one write may wait for the client; 0: no limit
	queue   chan outItem
	queued  atomic.Int32 // items posted and not yet written
	done    chan struct{}
	closing sync.Once

	mu     sync.Mutex // held while writing to the socket
	failed error      // the first write error; nothing is written after it
}

type outItem struct {
	data  []byte
	final bool // close the connection after writing
}

// errClientGone is the write error once the client has gone.
var errClientGone = errors.New("actors: client disconnected")

// errClientNotReading is the write error of a client that read nothing for the timeout.
var errClientNotReading = errors.New("actors: the client stopped reading its results")

// outputQueueLen bounds what the ConnectionHandler can post to a client that does not read.
const outputQueueLen = 4096

func newClientOutput(conn net.Conn, timeout time.Duration) *clientOutput {
	return &clientOutput{conn: conn, timeout: timeout, queue: make(chan outItem, outputQueueLen), done: make(chan struct{})}
}

// Write writes a result to the client, in order after anything posted before. It fails once
// the client is gone or has not read for the timeout; the connection is closed then.
func (o *clientOutput) Write(p []byte) (int, error) {
	select {
	case <-o.done:
		return 0, errClientGone
	default:
	}
	o.mu.Lock()
	if o.queued.Load() > 0 && o.failed == nil {
		o.mu.Unlock()
		if !o.post(outItem{data: append([]byte(nil), p...)}) {
			return 0, errClientGone
		}
		return len(p), nil
	}
	defer o.mu.Unlock()
	return o.writeLocked(p)
}

func (o *clientOutput) writeLocked(p []byte) (int, error) {
	if o.failed != nil {
		return 0, o.failed
	}
	if o.timeout > 0 {
		_ = o.conn.SetWriteDeadline(time.Now().Add(o.timeout))
	}
	n, err := o.conn.Write(p)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = errClientNotReading
		}
		o.failed = err
		o.conn.Close()
	}
	return n, err
}

// writeLater writes p without keeping the caller waiting on the client, so that the
// caller can go on with other clients' work: what the socket takes at once is written
// here, and the rest (a client that reads slowly) is queued for the writer goroutine. Waking
// that goroutine for a result the socket would have taken cost a thread wake-up per
// transaction under contention. It declines (and the caller writes) when the client already
// has laterLimit items unwritten: a client that does not read must end up blocking the
// caller, not filling memory.
func (o *clientOutput) writeLater(p []byte) bool {
	if o.queued.Load() >= laterLimit {
		return false
	}
	if o.queued.Load() == 0 && o.mu.TryLock() {
		defer o.mu.Unlock()
		if o.queued.Load() == 0 && o.failed == nil {
			if n, ok := socket.WriteNow(o.conn, p); ok {
				p = p[n:]
			}
			if len(p) == 0 {
				return true
			}
		}
		// Posted under the lock, so that a Write after this one finds it queued and
		// queues behind it.
	}
	return o.post(outItem{data: append([]byte(nil), p...)})
}

const laterLimit = 8

// finalWriteTimeout bounds the write of a connection's last message (a FATAL error), so that
// a client that does not read cannot hold up a shutdown.
const finalWriteTimeout = 5 * time.Second

// post queues an item for the writer goroutine without blocking. A client with a full
// queue is not reading; it is dropped and post reports false.
func (o *clientOutput) post(item outItem) bool {
	o.queued.Add(1)
	select {
	case o.queue <- item:
		return true
	default:
		o.queued.Add(-1)
		o.close()
		return false
	}
}

// run is the writer goroutine. gone is called once when a write fails or a final item has
// been written.
func (o *clientOutput) run(gone func(error)) {
	for {
		select {
		case item := <-o.queue:
			o.mu.Lock()
			if item.final && (o.timeout == 0 || o.timeout > finalWriteTimeout) {
				o.timeout = finalWriteTimeout
			}
			_, err := o.writeLocked(item.data)
			o.queued.Add(-1)
			o.mu.Unlock()
			if err != nil || item.final {
				o.close()
				gone(err)
				return
			}
		case <-o.done:
			return
		}
	}
}

// close stops the writer goroutine and closes the connection; later writes fail.
func (o *clientOutput) close() {
	o.closing.Do(func() {
		close(o.done)
		o.conn.Close()
	})
}
