package emscripten

import (
	"errors"
	"fmt"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// ErrNotSnapshottable means a process holds state a Snapshot cannot carry over: a broken
// instance, a function table grown by something other than the dynamic linker after a side
// module was loaded, or an open file that exists only through its descriptor.
var ErrNotSnapshottable = errors.New("emscripten: process cannot be snapshotted")

// Snapshot is the complete state of an idle process: its linear memory, the mutable wasm
// globals that matter between calls, and the host-side state (descriptors, cwd, umask,
// timers). Restoring it into a fresh process of the same module, built the same way (same
// callbacks installed in the same order) and given a clone of the file system taken at the
// same moment, yields an independent copy of the original. A Snapshot is immutable and may
// be restored concurrently any number of times.
//
// The unexported mutable globals of an Emscripten module (tempRet0 and the stack limits)
// are not captured: wazero cannot reach them, and they are either scratch values that are
// written before every read or set once by __wasm_call_ctors, which the fresh process runs.
//
// Loaded side modules are re-linked by Restore at the same memory and table bases, with
// the same extra table slots, so every data address and function pointer in the copied
// memory stays valid. The mutable globals a side module defines are not captured either:
// in the PGlite side modules they are internal GOT entries that the module's start
// function sets from __memory_base and __table_base and nothing writes afterwards, so
// instantiating it at the same bases yields the same values.
type Snapshot struct {
	module    *Module
	mem       *memImage
	sp        uint64
	tableSize uint32
	// baseTable is the table size before the first side module was linked (tableSize
	// without side modules): what a fresh process must have.
	baseTable uint32
	dl        *linkImage
	fds       []fdState
	cwd       string
	umask     uint32
	timers    map[int32]float64 // remaining ms per timer
	dlErrBuf  uint32
	descs     []descState
	pipes     []pipe
}

// fdState describes one descriptor; descriptors with the same desc share an open file
// description (dup).
type fdState struct {
	fd   int32
	desc int
}

// descState is one open file description.
type descState struct {
	path  string
	kind  descKind
	ino   uint64
	flags uint32
	mode  uint32
	pos   int64
	dir   []vfs.DirEntry
	pipe  int // index into the snapshot's pipes, for kind == descPipe
}

type descKind int

const (
	descFile descKind = iota
	descStdin
	descStdout
	descStderr
	descPipe
)

// Size is the number of bytes of linear memory the snapshot holds.
func (s *Snapshot) Size() int { return s.mem.size }

// Libraries lists the side modules the snapshot's process had loaded, in load order;
// Restore links them again.
func (s *Snapshot) Libraries() []string {
	if s.dl == nil {
		return nil
	}
	out := make([]string, len(s.dl.libs))
	for i, lib := range s.dl.libs {
		out[i] = lib.name
	}
	return out
}

// Snapshot captures the process. It must be called between calls into the guest (never
// from a host function).
func (p *Process) Snapshot() (*Snapshot, error) {
	switch {
	case p.broken != nil:
		return nil, fmt.Errorf("%w: broken: %v", ErrNotSnapshottable, p.broken)
	case p.guest == nil:
		return nil, fmt.Errorf("%w: closed", ErrNotSnapshottable)
	}
	size, err := p.callHelper("grow", 0)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		module: p.module, sp: uint64(p.StackPointer()),
		tableSize: uint32(size), baseTable: uint32(size), cwd: p.cwd, umask: p.umask,
		timers: map[int32]float64{}, dlErrBuf: p.dl.errBuf,
	}
	if err := p.dl.capture(s); err != nil {
		return nil, err
	}
	if s.mem, err = newMemImage(p.mem); err != nil {
		return nil, err
	}
	now := monoMs()
	for which, due := range p.timers {
		s.timers[which] = due - now
	}
	if err := p.captureFDs(s); err != nil {
		return nil, err
	}
	return s, nil
}

// captureFDs records the descriptor table, keeping dup'ed descriptors shared.
func (p *Process) captureFDs(s *Snapshot) error {
	descs := map[*openFile]int{}
	pipes := map[*pipe]int{}
	for fd, of := range p.fds.files {
		if of == nil {
			continue
		}
		idx, ok := descs[of]
		if !ok {
			d, err := p.describe(of, pipes, s)
			if err != nil {
				return fmt.Errorf("fd %d (%s): %w", fd, of.path, err)
			}
			idx = len(s.descs)
			s.descs = append(s.descs, d)
			descs[of] = idx
		}
		s.fds = append(s.fds, fdState{fd: int32(fd), desc: idx})
	}
	return nil
}

// describe turns one open file description into its restorable form.
func (p *Process) describe(of *openFile, pipes map[*pipe]int, s *Snapshot) (descState, error) {
	d := descState{path: of.path, flags: of.flags, mode: of.mode, pos: of.pos,
		dir: append([]vfs.DirEntry(nil), of.dir...)}
	switch f := of.file.(type) {
	case stdinFile:
		d.kind = descStdin
		return d, nil
	case writerFile:
		d.kind = descStdout
		if of.path == "/dev/stderr" {
			d.kind = descStderr
		}
		return d, nil
	case nil:
		if of.pipe == nil {
			return d, fmt.Errorf("%w: descriptor without a file", ErrNotSnapshottable)
		}
		d.kind = descPipe
		i, ok := pipes[of.pipe]
		if !ok {
			i = len(s.pipes)
			s.pipes = append(s.pipes, pipe{buf: append([]byte(nil), of.pipe.buf...),
				readClosed: of.pipe.readClosed, writeClosed: of.pipe.writeClosed})
			pipes[of.pipe] = i
		}
		d.pipe = i
		return d, nil
	default:
		fst, errno := f.Stat()
		if errno != 0 {
			return d, errno
		}
		// The clone is reopened by path, so the path must still name this very file.
		byPath, errno := p.fs.Stat(of.path, true)
		if errno != 0 || byPath.Ino != fst.Ino || byPath.Dev != fst.Dev {
			return d, fmt.Errorf("%w: the open file is no longer reachable by its path", ErrNotSnapshottable)
		}
		d.kind, d.ino = descFile, fst.Ino
		return d, nil
	}
}

// Restore loads a snapshot into p, a process created from the same module that has run
// exactly the setup the original had run before its snapshot was taken (constructors and
// callback installation), and whose file system is a clone taken with the snapshot. It
// replaces p's memory, stack pointer, descriptors, cwd, umask and timers, and links the
// snapshot's side modules again. p must not have been called into otherwise.
func (p *Process) Restore(s *Snapshot) error {
	if err := p.checkRestorable(s); err != nil {
		return err
	}
	if err := p.growTo(s.mem.size); err != nil {
		return err
	}
	// Side modules are instantiated before the memory is replaced: instantiation copies
	// their data segments and their start functions clear their BSS, both of which would
	// otherwise overwrite the live data the snapshot holds at their memory bases.
	if err := p.dl.restore(s); err != nil {
		return fmt.Errorf("emscripten: restore: %w", err)
	}
	if err := s.mem.restoreInto(p.mem); err != nil {
		return err
	}
	clear(p.mem[s.mem.size:])
	p.SetStackPointer(uint32(s.sp))
	p.cwd, p.umask, p.dl.errBuf = s.cwd, s.umask, s.dlErrBuf
	p.timers = make(map[int32]float64, len(s.timers))
	now := monoMs()
	for which, left := range s.timers {
		p.timers[which] = now + left
	}
	p.publishDeadline()
	return p.restoreFDs(s)
}

// checkRestorable rejects a snapshot of another module, or a process whose function table
// differs from the original's (so function pointers in the copied memory would be wrong).
func (p *Process) checkRestorable(s *Snapshot) error {
	switch {
	case s.module != p.module:
		return errors.New("emscripten: restore: snapshot of a different module")
	case p.broken != nil:
		return p.broken
	case len(p.dl.order) > 0:
		return errors.New("emscripten: restore: side modules already loaded")
	}
	size, err := p.callHelper("grow", 0)
	if err != nil {
		return err
	}
	if uint32(size) != s.baseTable {
		return fmt.Errorf("emscripten: restore: function table has %d entries, snapshot %d (callbacks installed differently)", size, s.baseTable)
	}
	return nil
}

// growTo grows linear memory to n bytes; the memory never shrinks, so a larger memory is
// cleared beyond n by the caller instead.
func (p *Process) growTo(n int) error {
	mem := p.memory
	if cur := int(mem.size()); cur < n {
		const page = 1 << 16
		if !mem.grow(uint32((n - cur + page - 1) / page)) {
			return fmt.Errorf("emscripten: restore: cannot grow memory to %d bytes", n)
		}
		p.refreshMem()
	}
	if len(p.mem) < n {
		return fmt.Errorf("emscripten: restore: memory is %d bytes after growth, want %d", len(p.mem), n)
	}
	return nil
}

// restoreFDs replaces the descriptor table with the snapshot's, reopening files by path on
// p's file system.
func (p *Process) restoreFDs(s *Snapshot) error {
	p.fds.closeAll()
	p.fds.files = nil
	pipes := make([]*pipe, len(s.pipes))
	for i := range s.pipes {
		pp := s.pipes[i]
		pp.buf = append([]byte(nil), pp.buf...)
		pipes[i] = &pp
	}
	descs := make([]*openFile, len(s.descs))
	for i, d := range s.descs {
		of, err := p.reopen(d, pipes)
		if err != nil {
			p.fds.closeAll()
			return fmt.Errorf("emscripten: restore: %s: %w", d.path, err)
		}
		descs[i] = of
	}
	for _, f := range s.fds {
		if errno := p.fds.installAt(descs[f.desc], f.fd); errno != 0 {
			return fmt.Errorf("emscripten: restore: fd %d: %w", f.fd, errno)
		}
	}
	return nil
}

// reopen builds one open file description of a restored process.
func (p *Process) reopen(d descState, pipes []*pipe) (*openFile, error) {
	of := &openFile{path: d.path, flags: d.flags, mode: d.mode, pos: d.pos,
		dir: append([]vfs.DirEntry(nil), d.dir...)}
	switch d.kind {
	case descStdin:
		of.file = stdinFile{}
	case descStdout:
		of.file = writerFile{w: p.cfg.Stdout}
	case descStderr:
		of.file = writerFile{w: p.cfg.Stderr}
	case descPipe:
		of.pipe = pipes[d.pipe]
	default:
		f, errno := p.fs.Open(d.path, d.flags&^(vfs.O_CREAT|vfs.O_EXCL|vfs.O_TRUNC), 0)
		if errno != 0 {
			return nil, errno
		}
		if st, errno := f.Stat(); errno != 0 || st.Ino != d.ino {
			f.Close()
			return nil, errors.New("file system clone does not match the snapshot")
		}
		of.file = f
	}
	return of, nil
}
