package session

import (
	"fmt"
	"testing"
)

func TestParseListen(t *testing.T) {
	cases := []struct{ sql, want string }{
		{"select 1", "[] [] false"},
		{"LISTEN a; Listen \"B c\"; unlisten d", "[a B c] [d] false"},
		{"UNLISTEN *", "[] [] true"},
		{"select 'listenx'", "[] [] false"},
		{"sElEcT 1; lIsTeN MixedCase", "[mixedcase] [] false"},
	}
	for _, c := range cases {
		var req request
		parseListen(c.sql, &req)
		if got := fmt.Sprint(req.listen, req.unlisten, req.unlistenAll); got != c.want {
			t.Errorf("%q: got %s, want %s", c.sql, got, c.want)
		}
	}
	for s, want := range map[string]bool{"": false, "liste": false, "xLISTEN": true, "unlisten": true} {
		if got := containsListen(s); got != want {
			t.Errorf("containsListen(%q) = %v", s, got)
		}
	}
}
