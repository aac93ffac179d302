package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// Outcome is what one statement produced on one host, in a form both hosts can be
// compared in: result sets with their columns, rows as text and command tags, the error,
// the notices and notifications, and the transaction status afterwards.
type Outcome struct {
	Results       []Result
	Err           Fields // nil: no error
	Notices       []Fields
	Notifications []string // "channel: payload"; the sender's pid differs by design
	// Reported are the settings the server reported as changed (ParameterStatus), as
	// "name=value", sorted.
	Reported []string
	TxStatus byte
}

// Result is one result set (or a command's completion without rows).
type Result struct {
	Columns []Column
	Rows    [][]*string // nil: NULL
	Tag     string
	Done    bool // CommandComplete (or EmptyQueryResponse) arrived
}

// Column is a result column's name and type.
type Column struct {
	Name    string
	TypeOID uint32
	TypeMod int32
}

// Fields are the fields of an ErrorResponse or NoticeResponse, by their protocol codes.
type Fields map[byte]string

// fieldOrder is the order fields are shown in, with their names.
var fieldOrder = []struct {
	code byte
	name string
}{
	{'D', "detail"}, {'H', "hint"}, {'P', "position"}, {'p', "internal position"},
	{'q', "internal query"}, {'W', "where"}, {'s', "schema"}, {'t', "table"}, {'c', "column"},
	{'d', "data type"}, {'n', "constraint"}, {'F', "file"}, {'L', "line"}, {'R', "routine"},
}

// fieldsOf converts pgconn's error (also used for notices) into Fields.
func fieldsOf(e *pgconn.PgError) Fields {
	f := Fields{'S': e.Severity, 'V': e.SeverityUnlocalized, 'C': e.Code, 'M': e.Message,
		'D': e.Detail, 'H': e.Hint, 'q': e.InternalQuery, 'W': e.Where, 's': e.SchemaName,
		't': e.TableName, 'c': e.ColumnName, 'd': e.DataTypeName, 'n': e.ConstraintName,
		'F': e.File, 'R': e.Routine}
	num := func(code byte, v int32) {
		if v != 0 {
			f[code] = strconv.Itoa(int(v))
		}
	}
	num('P', e.Position)
	num('p', e.InternalPosition)
	num('L', e.Line)
	return f.compact()
}

// fieldsOfResponse converts a decoded ErrorResponse into Fields.
func fieldsOfResponse(e *pgproto3.ErrorResponse) Fields {
	return fieldsOf(&pgconn.PgError{Severity: e.Severity, SeverityUnlocalized: e.SeverityUnlocalized,
		Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint, Position: e.Position,
		InternalPosition: e.InternalPosition, InternalQuery: e.InternalQuery, Where: e.Where,
		SchemaName: e.SchemaName, TableName: e.TableName, ColumnName: e.ColumnName,
		DataTypeName: e.DataTypeName, ConstraintName: e.ConstraintName, File: e.File,
		Line: e.Line, Routine: e.Routine})
}

func (f Fields) compact() Fields {
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

// String renders fields as "SEVERITY CODE: message" and one indented line per other field.
func (f Fields) String() string {
	var b strings.Builder
	sev := f['V']
	if sev == "" {
		sev = f['S']
	}
	fmt.Fprintf(&b, "%s %s: %s", sev, f['C'], f['M'])
	if f['S'] != "" && f['V'] != "" && f['S'] != f['V'] {
		fmt.Fprintf(&b, "\n    localized severity: %s", f['S'])
	}
	for _, o := range fieldOrder {
		if v, ok := f[o.code]; ok {
			fmt.Fprintf(&b, "\n    %s: %s", o.name, indentLines(v))
		}
	}
	return b.String()
}

func indentLines(s string) string { return strings.ReplaceAll(s, "\n", "\n      ") }

var typeNames = pgtype.NewMap()

func (c Column) String() string {
	t := strconv.FormatUint(uint64(c.TypeOID), 10)
	if typ, ok := typeNames.TypeForOID(c.TypeOID); ok {
		t = typ.Name
	}
	if c.TypeMod != -1 {
		t += fmt.Sprintf("(typmod %d)", c.TypeMod)
	}
	return c.Name + " " + t
}

// Lines renders an outcome as text, one line per row, for display and comparison. A
// result whose only column is "QUERY PLAN" (EXPLAIN) shows its rows bare, as psql would.
func (o *Outcome) Lines() []string {
	var out []string
	for _, n := range o.Notices {
		out = append(out, "notice: "+n.String())
	}
	for _, r := range o.Results {
		out = append(out, r.lines()...)
	}
	for _, n := range o.Notifications {
		out = append(out, "notification: "+n)
	}
	if o.Err != nil {
		out = append(out, "error: "+o.Err.String())
	}
	for _, r := range o.Reported {
		out = append(out, "reported: "+r)
	}
	return append(out, fmt.Sprintf("transaction status: %c", o.TxStatus))
}

func (r *Result) lines() []string {
	var out []string
	plan := len(r.Columns) == 1 && r.Columns[0].Name == "QUERY PLAN"
	if len(r.Columns) > 0 {
		cols := make([]string, len(r.Columns))
		for i, c := range r.Columns {
			cols[i] = c.String()
		}
		out = append(out, "columns: "+strings.Join(cols, ", "))
	}
	for _, row := range r.Rows {
		vals := make([]string, len(row))
		for i, v := range row {
			if v == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = strconv.Quote(*v)
			}
		}
		if plan && len(row) == 1 && row[0] != nil {
			out = append(out, "  "+*row[0])
		} else {
			out = append(out, "row: "+strings.Join(vals, " | "))
		}
	}
	switch {
	case r.Done:
		out = append(out, "tag: "+r.Tag)
	default:
		out = append(out, "(no command tag)")
	}
	return out
}

// text copies a column value; nil stays nil (NULL).
func text(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}
