package bridge

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestBridge_Exec_version(t *testing.T) {
	inst := openTest(t, Config{})
	rows := query(t, inst, "select version()")
	if len(rows) != 1 || !strings.HasPrefix(rows[0][0], "PostgreSQL 18.7") {
		t.Fatalf("version: %q", rows)
	}
}

func TestBridge_Exec_ddlDML(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "create table t(id int primary key, name text)")
	query(t, inst, "insert into t values (1, 'one'), (2, 'two'), (3, 'three')")
	query(t, inst, "update t set name = upper(name) where id >= 2")
	query(t, inst, "delete from t where id = 1")
	rows := query(t, inst, "select id, name from t order by id")
	if fmt.Sprint(rows) != "[[2 TWO] [3 THREE]]" {
		t.Fatalf("rows: %v", rows)
	}
}

func TestBridge_Exec_errorThenNextQuery(t *testing.T) {
	inst := openTest(t, Config{})
	msgs := exchange(t, inst, &pgproto3.Query{String: "select 1/0"})
	var code string
	for _, m := range msgs {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			code = e.Code
		}
	}
	if code != "22012" {
		t.Fatalf("want 22012, got %q in %#v", code, msgs)
	}
	if z, ok := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery); !ok || z.TxStatus != 'I' {
		t.Fatalf("last message %#v", msgs[len(msgs)-1])
	}
	if rows := query(t, inst, "select 2"); rows[0][0] != "2" {
		t.Fatalf("next query: %v", rows)
	}
}

func TestBridge_Exec_errorInTransaction(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "create table t(x int)")
	query(t, inst, "begin")
	query(t, inst, "insert into t values (1)")
	msgs := exchange(t, inst, &pgproto3.Query{String: "select 1/0"})
	if z := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery); z.TxStatus != 'E' {
		t.Fatalf("status after error in transaction: %c", z.TxStatus)
	}
	msgs = exchange(t, inst, &pgproto3.Query{String: "select 1"})
	if e, ok := msgs[0].(*pgproto3.ErrorResponse); !ok || e.Code != "25P02" {
		t.Fatalf("want 25P02 in failed transaction, got %#v", msgs[0])
	}
	query(t, inst, "rollback")
	if rows := query(t, inst, "select count(*) from t"); rows[0][0] != "0" {
		t.Fatalf("rolled back insert visible: %v", rows)
	}
}

func TestBridge_Exec_extendedPipelined(t *testing.T) {
	inst := openTest(t, Config{})
	param := make([]byte, 4)
	binary.BigEndian.PutUint32(param, 41)
	msgs := exchange(t, inst,
		&pgproto3.Parse{Name: "s1", Query: "select $1::int4 + 1 as n, $2::text as s", ParameterOIDs: []uint32{23, 25}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{PreparedStatement: "s1", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{param, []byte("hi")}, ResultFormatCodes: []int16{1, 0}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "s1", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{param, []byte("again")}},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	var kinds []string
	var rows []string
	for _, m := range msgs {
		kinds = append(kinds, fmt.Sprintf("%T", m)[len("*pgproto3."):])
		if d, ok := m.(*pgproto3.DataRow); ok {
			if len(d.Values[0]) == 4 {
				rows = append(rows, fmt.Sprintf("%d/%s", binary.BigEndian.Uint32(d.Values[0]), d.Values[1]))
			} else {
				rows = append(rows, fmt.Sprintf("%s/%s", d.Values[0], d.Values[1]))
			}
		}
	}
	want := "ParseComplete ParameterDescription RowDescription BindComplete RowDescription DataRow CommandComplete BindComplete DataRow CommandComplete ReadyForQuery"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("messages:\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}
	if fmt.Sprint(rows) != "[42/hi 42/again]" {
		t.Fatalf("rows: %v", rows)
	}
}

func TestBridge_Exec_plpgsql(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, `create function safe_div(a int, b int) returns int language plpgsql as $$
		begin
			return a / b;
		exception when division_by_zero then
			return -1;
		end $$`)
	if rows := query(t, inst, "select safe_div(10, 2), safe_div(1, 0)"); fmt.Sprint(rows) != "[[5 -1]]" {
		t.Fatalf("safe_div: %v", rows)
	}
	query(t, inst, "create table audit(op text, id int)")
	query(t, inst, "create table items(id int)")
	query(t, inst, `create function log_insert() returns trigger language plpgsql as $$
		begin
			insert into audit values (tg_op, new.id);
			return new;
		end $$`)
	query(t, inst, "create trigger items_audit after insert on items for each row execute function log_insert()")
	query(t, inst, "insert into items values (7), (8)")
	if rows := query(t, inst, "select op, id from audit order by id"); fmt.Sprint(rows) != "[[INSERT 7] [INSERT 8]]" {
		t.Fatalf("audit: %v", rows)
	}
}

func TestBridge_Exec_textSearch(t *testing.T) {
	inst := openTest(t, Config{})
	rows := query(t, inst, "select to_tsvector('english','The quick brown foxes')")
	if rows[0][0] != "'brown':3 'fox':4 'quick':2" {
		t.Fatalf("to_tsvector: %q", rows[0][0])
	}
}

func TestBridge_Exec_copy(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "create table c(a int, b text)")
	msgs := exchange(t, inst,
		&pgproto3.Query{String: "copy c from stdin"},
		&pgproto3.CopyData{Data: []byte("1\tone\n2\ttwo\n")},
		&pgproto3.CopyData{Data: []byte("3\tthree\n")},
		&pgproto3.CopyDone{},
	)
	var tag string
	for _, m := range msgs {
		if c, ok := m.(*pgproto3.CommandComplete); ok {
			tag = string(c.CommandTag)
		}
	}
	if tag != "COPY 3" {
		t.Fatalf("copy in: %q %#v", tag, msgs)
	}
	var out bytes.Buffer
	for _, m := range exchange(t, inst, &pgproto3.Query{String: "copy (select * from c order by a) to stdout"}) {
		if d, ok := m.(*pgproto3.CopyData); ok {
			out.Write(d.Data)
		}
	}
	if out.String() != "1\tone\n2\ttwo\n3\tthree\n" {
		t.Fatalf("copy out: %q", out.String())
	}
}

// TestBridge_ExecStream_copyIn feeds COPY data only when the backend asks for it.
func TestBridge_ExecStream_copyIn(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "create table c(a int)")
	chunks := [][]byte{encode(t, &pgproto3.CopyData{Data: []byte("1\n2\n")}), encode(t, &pgproto3.CopyData{Data: []byte("3\n")}, &pgproto3.CopyDone{})}
	var raw bytes.Buffer
	err := inst.ExecStream(context.Background(), encode(t, &pgproto3.Query{String: "copy c from stdin"}), func() ([]byte, error) {
		if len(chunks) == 0 {
			return nil, errors.New("no more")
		}
		c := chunks[0]
		chunks = chunks[1:]
		return c, nil
	}, func(b []byte) error { raw.Write(b); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if rows := query(t, inst, "select sum(a) from c"); rows[0][0] != "6" {
		t.Fatalf("sum: %v", rows)
	}
}

func TestBridge_Exec_outErrorCancels(t *testing.T) {
	inst := openTest(t, Config{})
	boom := errors.New("client gone")
	n := 0
	err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: "select g from generate_series(1, 2000000) g"}), func(b []byte) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("want the out error, got %v", err)
	}
	if rows := query(t, inst, "select 5"); rows[0][0] != "5" {
		t.Fatalf("instance unusable after out error: %v", rows)
	}
}

func TestBridge_Exec_startupPacket(t *testing.T) {
	inst := openTest(t, Config{})
	pkt := encode(t, &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "postgres", "database": "postgres"}})
	msgs := exchange(t, inst, rawMsg(pkt))
	if _, ok := msgs[0].(*pgproto3.AuthenticationOk); !ok {
		t.Fatalf("first message %#v", msgs[0])
	}
	if _, ok := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery); !ok {
		t.Fatalf("last message %#v", msgs[len(msgs)-1])
	}
	if rows := query(t, inst, "select current_user"); rows[0][0] != "postgres" {
		t.Fatalf("user: %v", rows)
	}
}

// rawMsg passes pre-encoded bytes through exchange.
type rawMsg []byte

func (r rawMsg) Frontend()                         {}
func (r rawMsg) Decode(data []byte) error          { return nil }
func (r rawMsg) Encode(dst []byte) ([]byte, error) { return append(dst, r...), nil }

func TestBridge_twoInstancesConcurrently(t *testing.T) {
	a := openTest(t, Config{})
	b := openTest(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, inst := range []*Instance{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				var raw bytes.Buffer
				sql := fmt.Sprintf("select %d * 1000 + %d", i, j)
				if err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: sql}), func(p []byte) error { raw.Write(p); return nil }); err != nil {
					errs <- err
					return
				}
				want := fmt.Sprint(i*1000 + j)
				if !bytes.Contains(raw.Bytes(), []byte(want)) {
					errs <- fmt.Errorf("instance %d: %q lacks %s", i, raw.Bytes(), want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
