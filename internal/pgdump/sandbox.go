package pgdump

import (
	"github.com/pglite-go/pglite/emscripten/vfs"
)

// guestPath is pg_dump's argv[0]: find_my_exec checks that it is an executable file, and
// warns ("could not find a "pg_dump" to execute") otherwise.
const guestPath = "/pglite/bin/pg_dump"

// sandbox is pg_dump's file system: the runtime directories, the devices (pg_dump's
// restrict key comes from pg_strong_random, which reads /dev/urandom) and its own
// executable. It reads and writes no file: the script goes to stdout.
func sandbox() (*vfs.FS, error) {
	fs := vfs.New(nil)
	fs.AddDevice("/dev/null", vfs.Null{}, 0x0103)
	fs.AddDevice("/dev/tty", vfs.Null{}, 0x0500)
	fs.AddDevice("/dev/random", vfs.Random{}, 0x0108)
	fs.AddDevice("/dev/urandom", vfs.Random{}, 0x0109)
	for _, d := range []string{"/pglite", "/pglite/bin", "/home/postgres"} {
		if errno := fs.Mkdir(d, 0o755); errno != 0 && errno != vfs.EEXIST {
			return nil, errno
		}
	}
	f, errno := fs.Open(guestPath, vfs.O_CREAT|vfs.O_WRONLY, 0o755)
	if errno != 0 {
		return nil, errno
	}
	f.Close()
	return fs, nil
}
