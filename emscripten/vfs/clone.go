package vfs

// Clone returns an independent copy of the in-memory tree, for forking a
// booted database without copying its files.
//
// Cost is proportional to the number of nodes and 64 KiB chunks, not to the
// bytes: both trees share every chunk (and all bundle bytes) copy-on-write.
// Clone moves the source and the clone to new COW generations, so the first
// write on either side to a shared chunk copies just that chunk; writes on
// one side are never visible on the other. Open Files of the source keep
// referring to the source.
//
// Clone may run concurrently with other Clones and with reads of fs, but not
// with modifications. Devices are shared by reference (re-add per-instance
// devices on the clone). Host mounts cannot be cloned: Clone panics if fs has
// one.
func (fs *FS) Clone() *FS {
	if fs.mounts > 0 {
		panic("vfs: Clone of an FS with a host mount")
	}
	c := &FS{nextIno: fs.nextIno}
	c.owner.Store(new(cowOwner))
	fs.owner.Store(new(cowOwner))
	var links map[*node]*node // hard-linked files, to keep them shared
	var cp func(n, parent *node) *node
	cp = func(n, parent *node) *node {
		if n.nlink > 1 && !n.isDir() {
			if m, ok := links[n]; ok {
				return m
			}
		}
		m := new(node)
		*m = *n
		m.fs = c
		switch {
		case n.isDir():
			m.parent = parent
			m.children = make(map[string]*node, len(n.children))
			for name, ch := range n.children {
				m.children[name] = cp(ch, m)
			}
		case n.isReg():
			m.data = n.data.clone()
		}
		if n.nlink > 1 && !n.isDir() {
			if links == nil {
				links = make(map[*node]*node)
			}
			links[n] = m
		}
		return m
	}
	c.root = cp(fs.root, nil)
	return c
}
