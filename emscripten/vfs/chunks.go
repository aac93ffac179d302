package vfs

// In-memory file contents are stored in 64 KiB chunks. Chunking keeps 8 KiB
// pwrites from ever moving a whole file (no quadratic growth), lets holes
// stay unallocated, and gives Clone its copy-on-write granularity: a clone
// shares every chunk and the first write on either side copies only the
// chunk it touches.
const (
	chunkShift = 16
	chunkSize  = 1 << chunkShift
	// maxFileSize bounds the chunk index table a single write can create.
	maxFileSize = 1 << 38
	minChunkCap = 512
)

// cowOwner identifies the FS generation allowed to write a chunk in place.
// Clone gives both sides new owners, so chunks that existed before the clone
// are owned by neither and get copied on their next write.
type cowOwner struct{ _ byte } // non-zero size: distinct allocations, distinct pointers

// chunk is one 64 KiB slot of a file. Bytes past len(b) (up to the file size)
// read as zeros, so a short last chunk or a truncated one needs no padding.
// A chunk whose owner differs from the writer's is shared and immutable.
type chunk struct {
	owner *cowOwner
	b     []byte
}

// fileData is a sparse chunked byte store; nil chunks and chunks past the
// end of the slice are holes.
type fileData struct {
	size   int64
	chunks []*chunk
}

func (d *fileData) readAt(p []byte, off int64) int {
	if off >= d.size || len(p) == 0 {
		return 0
	}
	end := min(off+int64(len(p)), d.size)
	n := int(end - off)
	p = p[:n]
	for pos := off; pos < end; {
		i := pos >> chunkShift
		lo := int(pos & (chunkSize - 1))
		hi := min(chunkSize, lo+int(end-pos))
		dst := p[pos-off : pos-off+int64(hi-lo)]
		k := 0
		if i < int64(len(d.chunks)) {
			if c := d.chunks[i]; c != nil && lo < len(c.b) {
				k = copy(dst, c.b[lo:min(hi, len(c.b))])
			}
		}
		clear(dst[k:])
		pos += int64(hi - lo)
	}
	return n
}

// writeAt stores p at off, copying shared chunks first.
func (d *fileData) writeAt(p []byte, off int64, own *cowOwner) Errno {
	if off < 0 {
		return EINVAL
	}
	end := off + int64(len(p))
	if end > maxFileSize || end < off {
		return EFBIG
	}
	if len(p) == 0 {
		return 0
	}
	if need := int((end + chunkSize - 1) >> chunkShift); need > len(d.chunks) {
		if need <= cap(d.chunks) {
			d.chunks = d.chunks[:need]
		} else {
			d.chunks = append(d.chunks, make([]*chunk, need-len(d.chunks))...)
		}
	}
	for pos := off; pos < end; {
		i := pos >> chunkShift
		lo := int(pos & (chunkSize - 1))
		hi := min(chunkSize, lo+int(end-pos))
		c := d.writable(int(i), hi, own)
		copy(c.b[lo:hi], p[pos-off:])
		pos += int64(hi - lo)
	}
	if end > d.size {
		d.size = end
	}
	return 0
}

// writable returns chunk i owned by own with at least need valid bytes,
// copying a shared chunk and growing capacity geometrically.
func (d *fileData) writable(i, need int, own *cowOwner) *chunk {
	c := d.chunks[i]
	switch {
	case c == nil:
		c = &chunk{owner: own, b: make([]byte, need, chunkCap(need))}
		d.chunks[i] = c
	case c.owner != own:
		nb := make([]byte, max(len(c.b), need), chunkCap(max(len(c.b), need)))
		copy(nb, c.b)
		c = &chunk{owner: own, b: nb}
		d.chunks[i] = c
	case len(c.b) < need:
		if need <= cap(c.b) {
			old := len(c.b)
			c.b = c.b[:need]
			clear(c.b[old:]) // may hold bytes from before a truncate
		} else {
			nb := make([]byte, need, chunkCap(need))
			copy(nb, c.b)
			c.b = nb
		}
	}
	return c
}

func chunkCap(need int) int {
	c := minChunkCap
	for c < need {
		c <<= 1
	}
	return min(c, chunkSize)
}

// truncate resizes to size; growing only moves the size (the tail is a hole).
func (d *fileData) truncate(size int64) Errno {
	if size < 0 {
		return EINVAL
	}
	if size > maxFileSize {
		return EFBIG
	}
	if size < d.size {
		keep := int((size + chunkSize - 1) >> chunkShift)
		if keep < len(d.chunks) {
			clear(d.chunks[keep:]) // let the GC have them
			d.chunks = d.chunks[:keep]
		}
		if r := int(size & (chunkSize - 1)); r != 0 && keep == len(d.chunks) {
			if c := d.chunks[keep-1]; c != nil && len(c.b) > r {
				// A shared chunk is immutable: replace it by a capped view
				// that still belongs to its old owner, so a later write
				// copies it instead of scribbling on the other side's bytes.
				d.chunks[keep-1] = &chunk{owner: c.owner, b: c.b[:r:r]}
			}
		}
	}
	d.size = size
	return 0
}

// fromShared makes d a view of b, which must never change: every chunk refers
// to b and belongs to no generation, so writes copy the chunk first.
func (d *fileData) fromShared(b []byte) {
	*d = fileData{size: int64(len(b)), chunks: make([]*chunk, (len(b)+chunkSize-1)>>chunkShift)}
	for i := range d.chunks {
		lo := i << chunkShift
		hi := min(lo+chunkSize, len(b))
		d.chunks[i] = &chunk{b: b[lo:hi:hi]}
	}
}

// clone returns a copy sharing every chunk.
func (d *fileData) clone() fileData {
	return fileData{size: d.size, chunks: append([]*chunk(nil), d.chunks...)}
}
