package main

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pglite-go/pglite"
)

// goHost is pglite-go in this process: a fresh in-memory server per script, reached by
// pgconn through an in-process connection, one simple-protocol Query per statement.
type goHost struct {
	srv  *pglite.Server
	conn *pgconn.PgConn
	// collected while a statement runs
	notices       []Fields
	notifications []string
	// ignoreReported leaves reported settings out, for a reference without them.
	ignoreReported bool
	// settings are extra server settings ("name=value") for pglite-go.
	settings []string
}

func (h *goHost) Name() string { return "pglite-go" }

// Open starts a fresh database and connects to it, closing the previous one.
func (h *goHost) Open(ctx context.Context) error {
	h.Close()
	srv, err := pglite.Start(ctx, pglite.Options{NoTCP: true, Settings: h.settings})
	if err != nil {
		return fmt.Errorf("pglite-go: start: %w", err)
	}
	cfg := srv.ConnConfig().Config
	// The reference host runs its statements in a session that no startup packet
	// configured; send nothing beyond user and database either (no application_name or
	// settings taken from PG* variables of this process).
	cfg.RuntimeParams = map[string]string{}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		h.notices = append(h.notices, fieldsOf((*pgconn.PgError)(n)))
	}
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		h.notifications = append(h.notifications, n.Channel+": "+n.Payload)
	}
	conn, err := pgconn.ConnectConfig(ctx, &cfg)
	if err != nil {
		srv.Close()
		return fmt.Errorf("pglite-go: connect: %w", err)
	}
	h.srv, h.conn = srv, conn
	return nil
}

// Run sends sql as one Query message and collects what comes back.
func (h *goHost) Run(ctx context.Context, sql string) (*Outcome, error) {
	if h.conn == nil {
		return nil, errors.New("pglite-go: not open")
	}
	h.notices, h.notifications = nil, nil
	before := h.reported()
	out := &Outcome{}
	mrr := h.conn.Exec(ctx, sql)
	for mrr.NextResult() {
		out.Results = append(out.Results, readResult(mrr.ResultReader()))
	}
	err := mrr.Close()
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		out.Err = fieldsOf(pgErr)
	case err != nil:
		return nil, fmt.Errorf("pglite-go: %w", err)
	}
	out.Notices, out.Notifications = h.notices, h.notifications
	out.TxStatus = h.conn.TxStatus()
	for name, v := range h.reported() {
		if before[name] != v && !h.ignoreReported {
			out.Reported = append(out.Reported, name+"="+v)
		}
	}
	sort.Strings(out.Reported)
	return out, nil
}

// reportedSettings are the settings PostgreSQL 18 reports to a client whenever they change
// (GUC_REPORT).
//
// https://www.postgresql.org/docs/18/protocol-flow.html#PROTOCOL-ASYNC
var reportedSettings = []string{"application_name", "client_encoding", "DateStyle",
	"default_transaction_read_only", "in_hot_standby", "integer_datetimes", "IntervalStyle",
	"is_superuser", "scram_iterations", "search_path", "server_encoding", "server_version",
	"session_authorization", "standard_conforming_strings", "TimeZone"}

// reported is what pgconn last heard for every reported setting.
func (h *goHost) reported() map[string]string {
	m := make(map[string]string, len(reportedSettings))
	for _, name := range reportedSettings {
		if v := h.conn.ParameterStatus(name); v != "" {
			m[name] = v
		}
	}
	return m
}

// readResult reads one result set; an error ends it without a command tag (the error
// itself is reported by the MultiResultReader).
func readResult(rr *pgconn.ResultReader) Result {
	var r Result
	for _, fd := range rr.FieldDescriptions() {
		r.Columns = append(r.Columns, Column{Name: fd.Name, TypeOID: fd.DataTypeOID, TypeMod: fd.TypeModifier})
	}
	for rr.NextRow() {
		vals := rr.Values()
		row := make([]*string, len(vals))
		for i, v := range vals {
			row[i] = text(v)
		}
		r.Rows = append(r.Rows, row)
	}
	// FieldDescriptions is only complete once the RowDescription was read, which NextRow
	// may have done; take the columns again if the first look found none.
	if len(r.Columns) == 0 {
		for _, fd := range rr.FieldDescriptions() {
			r.Columns = append(r.Columns, Column{Name: fd.Name, TypeOID: fd.DataTypeOID, TypeMod: fd.TypeModifier})
		}
	}
	tag, err := rr.Close()
	if err == nil {
		r.Tag, r.Done = tag.String(), true
	}
	return r
}

// Close ends the connection and stops the server.
func (h *goHost) Close() {
	if h.conn != nil {
		_ = h.conn.Close(context.Background())
		h.conn = nil
	}
	if h.srv != nil {
		_ = h.srv.Close()
		h.srv = nil
	}
}
