// Package vfs is the virtual file system behind the Emscripten syscalls of
// one PGlite (PostgreSQL 18 WebAssembly) instance hosted on wazero without
// JavaScript.
//
// The tree is in memory, like Emscripten's MEMFS: files of the shared,
// read-only pglite.data Bundle are served from its bytes and copied up on
// first modification; regular files are stored in 64 KiB chunks that Clone
// shares copy-on-write, so forking a booted database costs microseconds.
// A host directory can be mounted (typically at /pglite/data) for a
// persistent cluster with real fsync and atomic rename.
//
// The API is path based and positional. File descriptors, offsets, O_APPEND,
// pipes, getdents records and struct stat encoding belong to the syscall
// layer above. Errors are Errno values in Emscripten/WASI numbering, ready
// to be returned to the guest.
package vfs
