package pglite

import (
	"context"
	"fmt"
)

// SaveDataDir writes a copy of the in-memory database's data directory to dir, which
// must not exist yet, as of a CHECKPOINT taken once no client is inside a transaction
// (it waits for that). The server goes on unchanged. The copy is an ordinary data
// directory: `pglited --data-dir DIR` or Options.DataDir serves it, after the short
// crash recovery any copy of a running server's files needs. pgtest uses it to keep the
// database of a failed test.
func (s *Server) SaveDataDir(ctx context.Context, dir string) error {
	if s.opts.DataDir != "" {
		return fmt.Errorf("pglite: save data dir: the database already lives in %s", s.opts.DataDir)
	}
	t, err := s.h.Snapshot(ctx, true)
	if err != nil {
		return fmt.Errorf("pglite: save data dir: %w", err)
	}
	return t.ExportCluster(dir)
}
