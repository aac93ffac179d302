package bridge

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Streaming a million rows must not hold the result in memory: the Go heap may grow by far
// less than the result's size. The guest's linear memory is an mmap, not Go heap, so these
// figures measure the host side only.

const (
	streamRows = 1_000_000
	// maxHeapGrowth bounds the Go heap's growth while a result of 20 MB or more streams.
	maxHeapGrowth = 8 << 20
)

// heapWatch samples the Go heap while a stream runs.
type heapWatch struct {
	base       runtime.MemStats
	peakInuse  uint64
	calls      int
	totalAlloc uint64
}

func newHeapWatch() *heapWatch {
	w := &heapWatch{}
	runtime.GC()
	runtime.ReadMemStats(&w.base)
	w.peakInuse = w.base.HeapInuse
	return w
}

// tick samples every 64th call, and always when force is set; ReadMemStats stops the world,
// so sampling every call would dominate the run.
func (w *heapWatch) tick(force bool) {
	w.calls++
	if !force && w.calls%64 != 0 {
		return
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.peakInuse = max(w.peakInuse, m.HeapInuse)
	w.totalAlloc = m.TotalAlloc - w.base.TotalAlloc
}

func (w *heapWatch) growth() uint64 { return w.peakInuse - w.base.HeapInuse }

func (w *heapWatch) check(t *testing.T, what string, resultBytes int64) {
	t.Helper()
	w.tick(true)
	t.Logf("%s: %.1f MB streamed in %d callbacks; Go heap in use grew by at most %.2f MB, %.2f MB allocated in total",
		what, float64(resultBytes)/(1<<20), w.calls, float64(w.growth())/(1<<20), float64(w.totalAlloc)/(1<<20))
	if resultBytes < 2*maxHeapGrowth {
		t.Fatalf("%s: the result (%d bytes) is too small to show bounded memory", what, resultBytes)
	}
	if w.growth() > maxHeapGrowth {
		t.Fatalf("%s: Go heap grew by %d bytes while streaming %d bytes (limit %d)", what, w.growth(), resultBytes, maxHeapGrowth)
	}
	// Allocation per callback must not be proportional to the data: whatever is allocated
	// in total stays well below the result size.
	if int64(w.totalAlloc) > resultBytes/2 {
		t.Fatalf("%s: %d bytes allocated while streaming %d bytes", what, w.totalAlloc, resultBytes)
	}
}

// openStreamTable opens an in-memory instance with a million-row table. The source of a
// streamed result is a table scan: a set-returning function would materialise its rows in a
// tuplestore that spills into the in-memory file system, which lives in the Go heap and is
// storage, not output buffering. The table itself exists before the heap baseline is taken.
func openStreamTable(t *testing.T) *Instance {
	inst := openTest(t, Config{})
	query(t, inst, "create table big(id int, note text)")
	query(t, inst, fmt.Sprintf("insert into big select g, 'row number ' || g from generate_series(1, %d) g", streamRows))
	query(t, inst, "vacuum big") // set hint bits now, so that the scan writes no pages
	return inst
}

// msgCounter splits a backend byte stream into messages without buffering it: it counts
// messages by type, counts rows (newlines) in CopyData bodies, and keeps the small ones.
type msgCounter struct {
	hdr     [5]byte
	nhdr    int
	left    int // body bytes of the current message still to come
	typ     byte
	body    []byte // body of the current message when it is small and not CopyData/DataRow
	count   map[byte]int
	lines   int
	bytes   int64
	tags    []string
	errors  []string
	lastRFQ byte
}

func newMsgCounter() *msgCounter { return &msgCounter{count: map[byte]int{}} }

func (c *msgCounter) write(b []byte) {
	c.bytes += int64(len(b))
	for len(b) > 0 {
		if c.nhdr < 5 {
			n := copy(c.hdr[c.nhdr:], b)
			c.nhdr += n
			b = b[n:]
			if c.nhdr < 5 {
				return
			}
			c.typ = c.hdr[0]
			c.left = int(binary.BigEndian.Uint32(c.hdr[1:])) - 4
			c.count[c.typ]++
			c.body = c.body[:0]
		}
		n := min(c.left, len(b))
		chunk := b[:n]
		switch c.typ {
		case 'd':
			c.lines += bytes.Count(chunk, []byte{'\n'})
		case 'D':
		default:
			c.body = append(c.body, chunk...)
		}
		c.left -= n
		b = b[n:]
		if c.left == 0 {
			c.finish()
			c.nhdr = 0
		}
	}
}

func (c *msgCounter) finish() {
	switch c.typ {
	case 'C':
		c.tags = append(c.tags, string(bytes.TrimRight(c.body, "\x00")))
	case 'E':
		c.errors = append(c.errors, string(bytes.ReplaceAll(c.body, []byte{0}, []byte{' '})))
	case 'Z':
		if len(c.body) == 1 {
			c.lastRFQ = c.body[0]
		}
	}
}

func (c *msgCounter) check(t *testing.T, tag string) {
	t.Helper()
	if len(c.errors) > 0 {
		t.Fatalf("errors: %q", c.errors)
	}
	if c.nhdr != 0 {
		t.Fatalf("stream ended inside a message")
	}
	if len(c.tags) != 1 || c.tags[0] != tag {
		t.Fatalf("command tags %q, want %q", c.tags, tag)
	}
	if c.lastRFQ != 'I' {
		t.Fatalf("ReadyForQuery status %q", c.lastRFQ)
	}
}

func TestBridge_stream_copyToStdout(t *testing.T) {
	inst, c := streamQuery(t, "copy to stdout", "copy big to stdout", "COPY "+strconv.Itoa(streamRows))
	if c.lines != streamRows || c.count['d'] < 1 {
		t.Fatalf("%d lines in %d CopyData messages", c.lines, c.count['d'])
	}
	if rows := query(t, inst, "select 42"); rows[0][0] != "42" {
		t.Fatalf("after the stream: %v", rows)
	}
}

// streamQuery runs sql over the million-row table, checking that the Go heap stays
// bounded and that the command tag is tag.
func streamQuery(t *testing.T, label, sql, tag string) (*Instance, *msgCounter) {
	t.Helper()
	if testing.Short() {
		t.Skip("streams a million rows")
	}
	inst := openStreamTable(t)
	c := newMsgCounter()
	w := newHeapWatch()
	err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: sql}), func(b []byte) error {
		c.write(b)
		w.tick(false)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.check(t, label, c.bytes)
	c.check(t, tag)
	return inst, c
}

func TestBridge_stream_select(t *testing.T) {
	_, c := streamQuery(t, "select", "select id, note from big", "SELECT "+strconv.Itoa(streamRows))
	if c.count['D'] != streamRows || c.count['T'] != 1 {
		t.Fatalf("%d DataRows, %d RowDescriptions", c.count['D'], c.count['T'])
	}
}

func TestBridge_stream_copyFromStdin(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a million rows")
	}
	// A host data directory keeps the table's pages out of the Go heap, so the heap figures
	// measure the bridge alone.
	inst := openTest(t, Config{DataDir: t.TempDir()})
	query(t, inst, "create table big(id int, note text)")
	const perChunk = 5000
	next, chunks, sent := 1, 0, int64(0)
	var buf, line []byte
	more := func() ([]byte, error) {
		buf = buf[:0]
		if next > streamRows {
			if next == streamRows+1 {
				next++
				buf = append(buf, 'c', 0, 0, 0, 4) // CopyDone
				return buf, nil
			}
			return nil, fmt.Errorf("asked for input after CopyDone")
		}
		// One CopyData message holding perChunk rows.
		buf = append(buf, 'd', 0, 0, 0, 0)
		for i := 0; i < perChunk && next <= streamRows; i++ {
			line = strconv.AppendInt(line[:0], int64(next), 10)
			line = append(line, "\trow number "...)
			line = strconv.AppendInt(line, int64(next), 10)
			buf = append(append(buf, line...), '\n')
			next++
		}
		binary.BigEndian.PutUint32(buf[1:], uint32(len(buf)-1))
		chunks++
		sent += int64(len(buf))
		return buf, nil
	}
	c := newMsgCounter()
	w := newHeapWatch()
	err := inst.ExecStream(context.Background(), encode(t, &pgproto3.Query{String: "copy big from stdin"}), func() ([]byte, error) {
		w.tick(false)
		return more()
	}, func(b []byte) error {
		c.write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.check(t, "copy from stdin", sent)
	c.check(t, "COPY "+strconv.Itoa(streamRows))
	if chunks != streamRows/perChunk {
		t.Fatalf("%d chunks", chunks)
	}
	rows := query(t, inst, "select count(*), sum(id), min(note), count(distinct id) from big")
	want := []string{strconv.Itoa(streamRows), strconv.Itoa(streamRows * (streamRows + 1) / 2), "row number 1", strconv.Itoa(streamRows)}
	if fmt.Sprint(rows[0]) != fmt.Sprint(want) {
		t.Fatalf("table after copy: %v, want %v", rows[0], want)
	}
}
