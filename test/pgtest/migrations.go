package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrationFiles lists the migrations of fsys in the order they run (see WithMigrations).
func migrationFiles(fsys fs.FS) ([]string, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("pgtest: migrations: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".sql") && !strings.HasSuffix(n, ".down.sql") {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		a, okA := leadingNumber(names[i])
		b, okB := leadingNumber(names[j])
		if okA && okB && a != b {
			return a < b
		}
		return names[i] < names[j]
	})
	return names, nil
}

// leadingNumber is the version a migration's name starts with (0001_init.sql: 1).
func leadingNumber(name string) (uint64, bool) {
	end := 0
	for end < len(name) && name[end] >= '0' && name[end] <= '9' {
		end++
	}
	n, err := strconv.ParseUint(name[:end], 10, 64)
	return n, err == nil
}

// migrationsHash is a hash of the migrations' names and contents, in order.
func migrationsHash(fsys fs.FS) (string, error) {
	names, err := migrationFiles(fsys)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", fmt.Errorf("pgtest: migrations: %w", err)
		}
		fmt.Fprintf(h, "%d:%s%d:", len(n), n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runMigrations runs the migrations of fsys on conn, in order.
func runMigrations(ctx context.Context, conn *pgx.Conn, fsys fs.FS) error {
	names, err := migrationFiles(fsys)
	if err != nil {
		return err
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return fmt.Errorf("pgtest: migrations: %w", err)
		}
		if _, err := conn.Exec(ctx, string(b), pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("pgtest: migration %s: %w", n, err)
		}
	}
	return nil
}
