package emscripten

import "golang.org/x/sys/unix"

// adviseHugePages asks the kernel to back mem, the linear memory, with transparent huge
// pages, as PostgreSQL's huge_pages=try does for its shared memory. PostgreSQL's working
// set is spread over 100 MB and more of linear memory, and with 4 KiB pages its TLB
// misses cost about 2% of a pgbench transaction. Where THP is off (never) the advice is
// ignored; where it is "always" it is already in force.
func adviseHugePages(mem []byte) {
	if len(mem) == 0 {
		return
	}
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE) // only advice: an error changes nothing
}
