package protocol

import "testing"

func TestCopyInViolation(t *testing.T) {
	msg := func(typ byte, body string) []byte {
		n := len(body) + 4
		return append([]byte{typ, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
	}
	cat := func(ms ...[]byte) (out []byte) {
		for _, m := range ms {
			out = append(out, m...)
		}
		return out
	}
	data, done, query := msg('d', "1\t2\n"), msg('c', ""), msg('Q', "select 1\x00")
	cases := []struct {
		name   string
		in     []byte
		off    int
		typ    byte
		broken bool
	}{
		{"data only", cat(data, data), 0, 0, false},
		{"data, flush and sync", cat(data, msg('H', ""), msg('S', ""), data), 0, 0, false},
		{"done, then anything", cat(data, done, query), 0, 0, false},
		{"fail, then anything", cat(msg('f', "no\x00"), query), 0, 0, false},
		{"a query inside", cat(data, query, done), len(data), 'Q', true},
		{"a parse first", cat(msg('P', "\x00select 1\x00\x00\x00"), data), 0, 'P', true},
	}
	for _, tc := range cases {
		off, typ, broken := CopyInViolation(tc.in)
		if off != tc.off || typ != tc.typ || broken != tc.broken {
			t.Errorf("%s: %d %q %v", tc.name, off, typ, broken)
		}
	}
	if got := string(CopyInFatal('Q')); !contains(got, "unexpected message type 0x51 during COPY from stdin") {
		t.Errorf("fatal: %q", got)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
