package bridge

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestConversion_radixTrees: the conversion modules that need LocalToUtf and UtfToLocal
// (provided by the host, radixconv.go) load and convert as PostgreSQL does. The expected
// bytes are the encodings' own code points (JIS X 0208, KS X 1001, Big5, GBK, GB18030, ...),
// and every text makes the round trip back to UTF8.
func TestConversion_radixTrees(t *testing.T) {
	inst := openTest(t, Config{Extensions: []string{}})
	for _, c := range []struct{ text, enc, want string }{
		{"あ", "EUC_JP", `\xa4a2`},
		{"日本", "SJIS", `\x93fa967b`},
		{"ｱ", "EUC_JP", `\x8eb1`},           // half-width katakana: SS2
		{"가", "EUC_KR", `\xb0a1`},           // KS X 1001
		{"똠", "UHC", `\x8c63`},              // outside KS X 1001, UHC only
		{"中", "BIG5", `\xa4a4`},             // Big5
		{"中", "GBK", `\xd6d0`},              // GB 2312 area of GBK
		{"中", "EUC_CN", `\xd6d0`},           // GB 2312
		{"中", "EUC_TW", `\xc4e3`},           // CNS 11643 plane 1
		{"€", "WIN1252", `\x80`},            // single-byte table
		{"Ж", "KOI8R", `\xf6`},              // single-byte table
		{"ą", "LATIN2", `\xb1`},             // ISO 8859-2
		{"\u0080", "GB18030", `\x81308130`}, // first 4-byte code: the conversion function
		{"\U00010000", "GB18030", `\x90308130`},
		{"か\u309a", "EUC_JIS_2004", `\xa4f7`}, // two Unicode characters, one code: combined map
		{"abc", "EUC_KR", `\x616263`},
	} {
		q := fmt.Sprintf("select convert_to('%s', '%s'), convert_from(convert_to('%[1]s', '%[2]s'), '%[2]s') = '%[1]s'", c.text, c.enc)
		if got := fmt.Sprint(query(t, inst, q)); got != fmt.Sprintf("[[%s t]]", c.want) {
			t.Errorf("%s in %s: %s, want %s", c.text, c.enc, got, c.want)
		}
	}
	// PostgreSQL's JOHAB verifier accepts only EUC-range trailing bytes, so Johab's own codes
	// do not convert back (as on any PostgreSQL); the conversion to it works.
	if got := fmt.Sprint(query(t, inst, "select convert_to('가', 'JOHAB')")); got != `[[\x8861]]` {
		t.Errorf("JOHAB: %s", got)
	}
	// position() in EUC_KR text, as the regression test euc_kr does.
	if got := fmt.Sprint(query(t, inst, `select position(convert_from('\xbcf6c7d0', 'EUC_KR') in
		convert_from('\xb0fac7d02c20bcf6c7d02c20b1e2bcfa2c20bbee', 'EUC_KR'))`)); got != "[[5]]" {
		t.Errorf("position: %s", got)
	}
	for _, c := range []struct{ q, code, msg string }{
		{`select convert_to('😀', 'EUC_KR')`, "22P05",
			`character with byte sequence 0xf0 0x9f 0x98 0x80 in encoding "UTF8" has no equivalent in encoding "EUC_KR"`},
		{`select convert_from('\xa4a2a4', 'EUC_JP')`, "22021", `invalid byte sequence for encoding "EUC_JP": 0xa4`},
		{`select convert_from('\x8140', 'BIG5')`, "22P05",
			`character with byte sequence 0x81 0x40 in encoding "BIG5" has no equivalent in encoding "UTF8"`},
	} {
		e, _ := errorOf(t, inst, c.q)
		if e == nil || e.Code != c.code || e.Message != c.msg {
			t.Errorf("%s: %#v, want %s %s", c.q, e, c.code, c.msg)
		}
	}
	if inst.Broken() != nil {
		t.Fatalf("instance broken: %v", inst.Broken())
	}
}

// TestConversion_clientEncoding: a client encoding whose module needs the radix converters
// converts every message, in both directions, and back to UTF8 after RESET.
func TestConversion_clientEncoding(t *testing.T) {
	inst := openTest(t, Config{Extensions: []string{}})
	for _, c := range []struct{ enc, text, local string }{
		{"EUC_JP", "あ", "\xa4\xa2"},
		{"SJIS", "あ", "\x82\xa0"},
		{"BIG5", "中", "\xa4\xa4"},
		{"EUC_KR", "가", "\xb0\xa1"},
	} {
		query(t, inst, "set client_encoding = '"+c.enc+"'")
		// The query text is in the client encoding, and so is the row that comes back.
		rows := query(t, inst, "select '"+c.local+"', length('"+c.local+"'), convert_to('"+c.local+"', 'UTF8')")
		want := fmt.Sprintf("[[%s 1 \\x%x]]", c.local, c.text)
		if got := fmt.Sprint(rows); got != want {
			t.Errorf("%s: %q, want %q", c.enc, got, want)
		}
		// An error message carries the client's bytes too.
		e, _ := errorOf(t, inst, "select '"+c.local+"'::int")
		if e == nil || !strings.Contains(e.Message, c.local) {
			t.Errorf("%s: error %#v", c.enc, e)
		}
		query(t, inst, "reset client_encoding")
		if got := fmt.Sprint(query(t, inst, "select '"+c.text+"', current_setting('client_encoding')")); got != "[["+c.text+" UTF8]]" {
			t.Errorf("after %s: %s", c.enc, got)
		}
	}
	// A character the client encoding lacks is an error for that statement alone.
	query(t, inst, "set client_encoding = 'EUC_KR'")
	msgs := exchange(t, inst, &pgproto3.Query{String: "select chr(128512)"})
	var e *pgproto3.ErrorResponse
	for _, m := range msgs {
		if x, ok := m.(*pgproto3.ErrorResponse); ok {
			e = x
		}
	}
	if e == nil || e.Code != "22P05" {
		t.Errorf("untranslatable result: %#v", msgs)
	}
	query(t, inst, "reset client_encoding")
	if got := fmt.Sprint(query(t, inst, "select 1")); got != "[[1]]" {
		t.Fatalf("after errors: %s", got)
	}
	if inst.Broken() != nil {
		t.Fatalf("instance broken: %v", inst.Broken())
	}
}
