package bridge

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// openTest opens an in-memory instance, skipping when the assets are missing.
func openTest(t testing.TB, cfg Config) *Instance {
	t.Helper()
	if _, err := LoadAssets(cfg.AssetsDir); err != nil {
		t.Skipf("assets: %v", err)
	}
	if cfg.Logger.GetLevel() == zerolog.NoLevel || true {
		cfg.Logger = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	}
	inst, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst
}

// encode concatenates frontend messages.
func encode(t testing.TB, msgs ...pgproto3.FrontendMessage) []byte {
	t.Helper()
	var out []byte
	for _, m := range msgs {
		var err error
		if out, err = m.Encode(out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// exchange runs msgs and decodes every backend message.
func exchange(t testing.TB, inst *Instance, msgs ...pgproto3.FrontendMessage) []pgproto3.BackendMessage {
	t.Helper()
	var raw bytes.Buffer
	if err := inst.Exec(context.Background(), encode(t, msgs...), func(b []byte) error { raw.Write(b); return nil }); err != nil {
		t.Fatalf("exec: %v", err)
	}
	return decodeAll(t, raw.Bytes())
}

func decodeAll(t testing.TB, b []byte) []pgproto3.BackendMessage {
	t.Helper()
	fe := pgproto3.NewFrontend(bytes.NewReader(b), nil)
	var out []pgproto3.BackendMessage
	for {
		m, err := fe.Receive()
		if err != nil {
			break
		}
		out = append(out, clone(m))
	}
	return out
}

// clone copies a decoded message, whose buffers the Frontend reuses.
func clone(m pgproto3.BackendMessage) pgproto3.BackendMessage {
	enc, _ := m.Encode(nil)
	fe := pgproto3.NewFrontend(bytes.NewReader(enc), nil)
	c, _ := fe.Receive()
	return c
}

// query runs a simple query and returns rows as text, failing on ErrorResponse.
func query(t testing.TB, inst *Instance, sql string) [][]string {
	t.Helper()
	var rows [][]string
	for _, m := range exchange(t, inst, &pgproto3.Query{String: sql}) {
		switch m := m.(type) {
		case *pgproto3.DataRow:
			var r []string
			for _, v := range m.Values {
				r = append(r, string(v))
			}
			rows = append(rows, r)
		case *pgproto3.ErrorResponse:
			t.Fatalf("%s: %s %s", sql, m.Code, m.Message)
		}
	}
	return rows
}
