package vfs

import (
	"os"
	"strings"
)

// Limits enforced during lookup, matching Linux/Emscripten.
const (
	maxSymlinkHops = 40
	maxPathLen     = 4096
	maxNameLen     = 255
)

// splitPath appends the lexically cleaned components of p to dst: empty and
// "." components vanish and ".." pops one component (staying at the root),
// which is how Emscripten normalises paths before walking them. dirSuffix
// reports a trailing "/", "." or "..", which obliges the result to be a
// directory. Relative paths are taken relative to dst (to "/" when empty).
func splitPath(dst []string, p string) (comps []string, dirSuffix bool, errno Errno) {
	if len(p) > maxPathLen {
		return dst, false, ENAMETOOLONG
	}
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			if p[j] == 0 {
				return dst, false, EINVAL
			}
			j++
		}
		c := p[i:j]
		if j < len(p) {
			j++
		}
		i = j
		switch c {
		case "", ".":
			continue
		case "..":
			if len(dst) > 0 {
				dst = dst[:len(dst)-1]
			}
			continue
		}
		if len(c) > maxNameLen {
			return dst, false, ENAMETOOLONG
		}
		dst = append(dst, c)
	}
	switch p[strings.LastIndexByte(p, '/')+1:] {
	case "", ".", "..":
		dirSuffix = true
	}
	return dst, dirSuffix, 0
}

// cleanPath is the canonical absolute form of p.
func cleanPath(p string) (string, Errno) {
	comps, _, errno := splitPath(nil, p)
	if errno != 0 {
		return "", errno
	}
	return "/" + strings.Join(comps, "/"), 0
}

// entry is the result of a lookup: where a name lives and what, if anything,
// is there. For an entry on a host mount, mnt is set and host/hfi describe
// the real file; a mount point itself has both n (the in-memory mount node)
// and mnt set.
type entry struct {
	parent  *node // in-memory directory holding the name (nil for "/" and host entries)
	name    string
	n       *node
	mnt     *hostMount
	host    string
	hfi     os.FileInfo // nil when the host entry does not exist
	mustDir bool        // the path had a trailing slash
}

// exists reports whether the looked-up name refers to something.
func (e *entry) exists() bool {
	if e.mnt != nil {
		return e.hfi != nil
	}
	return e.n != nil
}

// isDir reports whether the existing entry is a directory.
func (e *entry) isDir() bool {
	if e.mnt != nil {
		return e.hfi != nil && e.hfi.IsDir()
	}
	return e.n != nil && e.n.isDir()
}

// isMountPoint reports whether the entry is the root of a host mount, which
// cannot be removed or renamed.
func (e *entry) isMountPoint() bool { return e.n != nil && e.n.mount != nil }

// resolve walks p from the root. Symlinks in intermediate components are
// always followed, the last one only when follow is set; more than 40 hops
// give ELOOP. A missing last component is not an error: the entry then has
// parent/name (or mnt/host) set but nothing in it, for creating operations.
func (fs *FS) resolve(p string, follow bool) (entry, Errno) {
	if p == "" {
		return entry{}, ENOENT
	}
	var buf [16]string
	comps, mustDir, errno := splitPath(buf[:0], p)
	if errno != 0 {
		return entry{}, errno
	}
	if mustDir {
		follow = true
	}
	hops := 0
walk:
	cur := fs.root
	var mnt *hostMount
	var host string
	for i, c := range comps {
		last := i == len(comps)-1
		var target string
		if mnt == nil {
			child := cur.children[c]
			switch {
			case child == nil:
				if !last {
					return entry{}, ENOENT
				}
				return entry{parent: cur, name: c, mustDir: mustDir}, 0
			case child.isSymlink() && (!last || follow):
				target = child.target
			case last:
				e := entry{parent: cur, name: c, n: child, mustDir: mustDir}
				if child.mount != nil {
					e.mnt, e.host = child.mount, child.mount.root
					e.hfi, _ = os.Lstat(e.host)
				}
				return e, e.checkDir()
			case child.mount != nil:
				mnt, host = child.mount, child.mount.root
				continue
			case !child.isDir():
				return entry{}, ENOTDIR
			default:
				cur = child
				continue
			}
		} else {
			hp := host + "/" + c
			fi, err := os.Lstat(hp)
			switch {
			case err != nil:
				if errno := ErrnoOf(err); errno != ENOENT || !last {
					return entry{}, errno
				}
				return entry{name: c, mnt: mnt, host: hp, mustDir: mustDir}, 0
			case fi.Mode()&os.ModeSymlink != 0 && (!last || follow):
				t, err := os.Readlink(hp)
				if err != nil {
					return entry{}, ErrnoOf(err)
				}
				target = t
			case last:
				e := entry{name: c, mnt: mnt, host: hp, hfi: fi, mustDir: mustDir}
				return e, e.checkDir()
			case !fi.IsDir():
				return entry{}, ENOTDIR
			default:
				host = hp
				continue
			}
		}
		// Symlink: splice the target in place of comps[i] and walk again.
		hops++
		if hops > maxSymlinkHops {
			return entry{}, ELOOP
		}
		if target == "" {
			return entry{}, ENOENT
		}
		var next []string
		if target[0] != '/' {
			next = append(next, comps[:i]...)
		}
		next, _, errno = splitPath(next, target)
		if errno != 0 {
			return entry{}, errno
		}
		comps = append(next, comps[i+1:]...)
		goto walk
	}
	// The path named the root itself.
	return entry{n: fs.root, name: "/"}, 0
}

// checkDir enforces a trailing slash on an existing entry.
func (e *entry) checkDir() Errno {
	if e.mustDir && e.exists() && !e.isDir() {
		return ENOTDIR
	}
	return 0
}
