package pgdump

import (
	"bytes"
	"io"
	"regexp"
)

// PGlite 0.5.17 gives every column an attribute option of its own, pg_attver, which no
// PostgreSQL server knows (PGlite on Node shows the same). pg_dump writes it back as
// ALTER TABLE ... ALTER COLUMN ... SET (pg_attver=N), and a restore into PostgreSQL then
// fails on each such line. A dump is the way to any PostgreSQL, so attverFilter takes the
// option out of those lines (and drops a line left with no option), outside COPY data.
type attverFilter struct {
	w      io.Writer
	line   []byte // the current line, when it is not COPY data
	inCopy bool   // inside COPY ... FROM stdin data
	start  bool   // at the start of a line
}

func newAttverFilter(w io.Writer) *attverFilter { return &attverFilter{w: w, start: true} }

var (
	alterColumnSet = regexp.MustCompile(`^ALTER TABLE .* ALTER COLUMN .* SET \((.*)\);\n$`)
	attverOption   = regexp.MustCompile(`(^|, )pg_attver=[0-9]+`)
	copyFromStdin  = regexp.MustCompile(`^COPY .* FROM stdin;\n$`)
)

func (f *attverFilter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i+1]
		}
		b = b[len(chunk):]
		if f.inCopy && !(f.start && len(chunk) > 0 && chunk[0] == '\\') && len(f.line) == 0 {
			// COPY data streams through; only a line that may be its end (\.) is held.
			if _, err := f.w.Write(chunk); err != nil {
				return n, err
			}
			f.start = chunk[len(chunk)-1] == '\n'
			continue
		}
		f.line = append(f.line, chunk...)
		f.start = chunk[len(chunk)-1] == '\n'
		if !f.start {
			continue
		}
		if err := f.emit(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// emit writes one complete line, filtered.
func (f *attverFilter) emit() error {
	line := f.line
	f.line = f.line[:0]
	switch {
	case f.inCopy:
		f.inCopy = string(line) != "\\.\n"
	case copyFromStdin.Match(line):
		f.inCopy = true
	default:
		if m := alterColumnSet.FindSubmatchIndex(line); m != nil {
			opts := attverOption.ReplaceAll(line[m[2]:m[3]], nil)
			opts = bytes.TrimPrefix(opts, []byte(", "))
			if len(opts) == 0 {
				return nil
			}
			line = append(append(append([]byte(nil), line[:m[2]]...), opts...), line[m[3]:]...)
		}
	}
	_, err := f.w.Write(line)
	return err
}

// Close writes what is left of an unfinished last line.
func (f *attverFilter) Close() error {
	if len(f.line) == 0 {
		return nil
	}
	_, err := f.w.Write(f.line)
	f.line = nil
	return err
}
