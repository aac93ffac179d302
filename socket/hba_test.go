package socket

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// initdbHBA is the rule part of the file PostgreSQL's initdb writes for trust.
const initdbHBA = `# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             all                                     trust
# IPv4 local connections:
host    all             all             127.0.0.1/32            trust
# IPv6 local connections:
host    all             all             ::1/128                 trust
# Allow replication connections from localhost, by a user with the
# replication privilege.
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
host    replication     all             ::1/128                 trust
`

func mustParse(t *testing.T, text string) *HBA {
	t.Helper()
	h, err := ParseHBA("pg_hba.conf", text, HBAOptions{SSL: true})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestParseHBA_lines(t *testing.T) {
	type want struct {
		line   int
		typ    HBAConnType
		method AuthMethod
	}
	tests := []struct {
		name string
		text string
		want []want
	}{
		{"initdb", initdbHBA, []want{{4, HBALocal, AuthTrust}, {6, HBAHost, AuthTrust}, {8, HBAHost, AuthTrust},
			{11, HBALocal, AuthTrust}, {12, HBAHost, AuthTrust}, {13, HBAHost, AuthTrust}}},
		{"every type and method", "local all all reject\nhost all all all scram-sha-256\nhostssl all all all md5\n" +
			"hostnossl all all all password\nhostnogssenc all all all trust\n",
			[]want{{1, HBALocal, AuthReject}, {2, HBAHost, AuthSCRAM}, {3, HBAHostSSL, AuthMD5}, {4, HBAHostNoSSL, AuthPassword}, {5, HBAHostNoGSS, AuthTrust}}},
		{"continuation keeps the first line's number", "\n\nhost all \\\n  all \\\n 10.0.0.0/8 md5\nlocal all all trust\n",
			[]want{{3, HBAHost, AuthMD5}, {6, HBALocal, AuthTrust}}},
		{"netmask column", "host all all 192.168.0.0 255.255.0.0 md5", []want{{1, HBAHost, AuthMD5}}},
		{"tabs, CRLF and trailing comment", "local\tall\tall\ttrust # comment\r\nhost all all ::/0 md5#x\r\n",
			[]want{{1, HBALocal, AuthTrust}, {2, HBAHost, AuthMD5}}},
		{"quoted names with blanks, commas and #", `local "my db","x#y" "a ""b""" trust`, []want{{1, HBALocal, AuthTrust}}},
		{"host name", "host all all .example.com md5", []want{{1, HBAHost, AuthMD5}}},
		{"no final newline", "local all all trust", []want{{1, HBALocal, AuthTrust}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mustParse(t, tt.text)
			if len(h.Lines) != len(tt.want) {
				t.Fatalf("%d lines, want %d: %+v", len(h.Lines), len(tt.want), h.Lines)
			}
			for i, w := range tt.want {
				l := h.Lines[i]
				if l.Line != w.line || l.Type != w.typ || l.Method != w.method {
					t.Errorf("line %d: got line %d type %d method %v, want %+v", i, l.Line, l.Type, l.Method, w)
				}
			}
		})
	}
}

func TestParseHBA_tokens(t *testing.T) {
	h := mustParse(t, `local "my db","x#y",all,"all" "a ""b""",+g,"+h" trust`)
	l := h.Lines[0]
	var dbs, users []string
	for _, tok := range l.Databases {
		dbs = append(dbs, tok.s+map[bool]string{true: "(q)"}[tok.quoted])
	}
	for _, tok := range l.Users {
		users = append(users, tok.s+map[bool]string{true: "(q)"}[tok.quoted])
	}
	if got := strings.Join(dbs, "|"); got != "my db(q)|x#y(q)|all|all(q)" {
		t.Errorf("databases %s", got)
	}
	if got := strings.Join(users, "|"); got != `a "b"(q)|+g|+h(q)` {
		t.Errorf("users %s", got)
	}
	if l.Raw != `local "my db","x#y",all,"all" "a ""b""",+g,"+h" trust` {
		t.Errorf("raw %q", l.Raw)
	}
	// "a ,b" is two fields, as in PostgreSQL, so the line below has too many.
	if _, err := ParseHBA("f", "local a ,b all trust", HBAOptions{}); err == nil || !strings.Contains(err.Error(), `invalid authentication method "all"`) {
		t.Errorf("a ,b: %v", err)
	}
}

func TestParseHBA_errors(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts HBAOptions
		line int
		msg  string
	}{
		{"connection type", "# c\nlocall all all trust", HBAOptions{}, 2, `invalid connection type "locall"`},
		{"two connection types", "local,host all all trust", HBAOptions{}, 1, "multiple values specified for connection type"},
		{"no database", "local", HBAOptions{}, 1, "end-of-line before database specification"},
		{"no role", "local all", HBAOptions{}, 1, "end-of-line before role specification"},
		{"no address", "host all all", HBAOptions{}, 1, "end-of-line before IP address specification"},
		{"no method", "local all all", HBAOptions{}, 1, "end-of-line before authentication method"},
		{"peer", "\n\nlocal all all peer", HBAOptions{}, 3, `invalid authentication method "peer": not supported by this build`},
		{"ident", "host all all all ident", HBAOptions{}, 1, `invalid authentication method "ident": not supported by this build`},
		{"gss", "host all all all gss", HBAOptions{}, 1, `"gss": not supported by this build`},
		{"cert", "hostssl all all all cert", HBAOptions{SSL: true}, 1, `"cert": not supported by this build`},
		{"ldap", "host all all all ldap ldapserver=x", HBAOptions{}, 1, `"ldap": not supported by this build`},
		{"unknown method", "local all all md6", HBAOptions{}, 1, `invalid authentication method "md6"`},
		{"two methods", "local all all md5,trust", HBAOptions{}, 1, "multiple values specified for authentication type"},
		{"hostssl without TLS", "hostssl all all all md5", HBAOptions{}, 1, "hostssl record cannot match because SSL is disabled"},
		{"hostgssenc", "hostgssenc all all all md5", HBAOptions{}, 1, "hostgssenc record cannot match because GSSAPI is not supported by this build"},
		{"bad CIDR", "host all all 10.0.0.0/33 md5", HBAOptions{}, 1, `invalid CIDR mask in address "10.0.0.0/33"`},
		{"CIDR with host name", "host all all db.example/8 md5", HBAOptions{}, 1, `specifying both host name and CIDR mask is invalid: "db.example/8"`},
		{"no netmask", "host all all 10.0.0.0 md5", HBAOptions{}, 1, `invalid IP mask "md5"`},
		{"missing netmask", "host all all 10.0.0.0", HBAOptions{}, 1, "end-of-line before netmask specification"},
		{"mask family", "host all all 10.0.0.0 ffff:: md5", HBAOptions{}, 1, "IP address and mask do not match"},
		{"two addresses", "host all all 10.0.0.0/8,::1/128 md5", HBAOptions{}, 1, "multiple values specified for host address"},
		{"option without =", "local all all md5 foo", HBAOptions{}, 1, "authentication option not in name=value format: foo"},
		{"unknown option", "local all all md5 foo=bar", HBAOptions{}, 1, `unrecognized authentication option name: "foo"`},
		{"option of another method", "local all all md5 map=x", HBAOptions{}, 1, `authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, cert, and oauth`},
		{"clientcert on host", "host all all all md5 clientcert=verify-ca", HBAOptions{}, 1, `clientcert can only be configured for "hostssl" rows`},
		{"clientcert", "hostssl all all all md5 clientcert=verify-ca", HBAOptions{SSL: true}, 1, `authentication option "clientcert" is not supported by this build`},
		{"@file", "local @dbs all trust", HBAOptions{}, 1, `file inclusion is not supported: "@dbs"`},
		{"include", "local all all trust\ninclude other.conf", HBAOptions{}, 2, `"include" directives are not supported`},
		{"regex", `local /a( all trust`, HBAOptions{}, 1, `invalid regular expression "a("`},
		{"empty file", "# only comments\n\n", HBAOptions{}, 0, `configuration file "pg_hba.conf" contains no entries`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHBA("pg_hba.conf", tt.text, tt.opts)
			var he *HBAError
			if !errors.As(err, &he) {
				t.Fatalf("error %v, want an *HBAError", err)
			}
			if he.Line != tt.line || !strings.Contains(he.Msg, tt.msg) {
				t.Fatalf("got line %d %q, want line %d %q", he.Line, he.Msg, tt.line, tt.msg)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), "pg_hba.conf line ") {
				t.Fatalf("error %q does not name the file and line", err)
			}
		})
	}
}

// TestParseHBA_everyError: one load reports every bad line, and none of the good ones.
func TestParseHBA_everyError(t *testing.T) {
	_, err := ParseHBA("/data/pg_hba.conf", "local all all peer\nlocal all all trust\nhost all all all ident\n", HBAOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "/data/pg_hba.conf line 1: ") || !strings.Contains(msg, "/data/pg_hba.conf line 3: ") || strings.Contains(msg, "line 2") {
		t.Fatalf("error %q", msg)
	}
}

const matchHBA = `
local   all        blocked                    reject
local   all        all                        trust
host    all        evil       10.0.0.0/8      reject
host    all        +admins    10.0.0.0/8      scram-sha-256
host    sameuser   all        10.1.0.0 255.255.0.0  md5
host    samerole   all        10.2.0.0/16     md5
host    "all"      all        10.3.0.0/16     password
hostssl all        all        10.4.0.0/16     scram-sha-256
hostnossl all      all        10.4.0.0/16     reject
host    all        all        samehost        trust
host    all        all        samenet         md5
host    replication all       all             trust
host    /^test_    /^ci_      all             trust
host    app,web    u1,u2      fd00::/8        password
host    all        all        0.0.0.0/0       md5
`

func TestHBAMatch(t *testing.T) {
	h := mustParse(t, matchHBA)
	roles := map[string]*Role{
		"alice": {Name: "alice", Exists: true, MemberOf: []string{"staff", "admins"}},
		"bob":   {Name: "bob", Exists: true, MemberOf: []string{"sales"}},
	}
	ifaces := func() ([]net.Addr, error) {
		_, lan, _ := net.ParseCIDR("192.168.7.0/24")
		lan.IP = net.ParseIP("192.168.7.10")
		return []net.Addr{lan}, nil
	}
	host := func(addr, user, db string) HBAConn {
		return HBAConn{Addr: netip.MustParseAddr(addr), User: user, Database: db, Interfaces: ifaces}
	}
	tests := []struct {
		name string
		c    HBAConn
		line int // 0: no line matches
	}{
		{"local reject first", HBAConn{Local: true, User: "blocked", Database: "x"}, 2},
		{"local trust", HBAConn{Local: true, User: "u", Database: "x"}, 3},
		{"reject before group", host("10.9.9.9", "evil", "d"), 4},
		{"+group, indirect membership", host("10.9.9.9", "alice", "d"), 5},
		{"+group, not a member", host("10.9.9.9", "bob", "d"), 16},
		{"sameuser with netmask", host("10.1.2.3", "bob", "bob"), 6},
		{"sameuser, other database", host("10.1.2.3", "bob", "other"), 16},
		{"samerole", host("10.2.0.1", "bob", "sales"), 7},
		{"samerole, a role is a member of itself", host("10.2.0.1", "bob", "bob"), 7},
		{"samerole, unknown role", host("10.2.0.1", "nobody", "sales"), 16},
		{"quoted all is a database name", host("10.3.0.1", "u", "all"), 8},
		{"quoted all does not match others", host("10.3.0.1", "u", "postgres"), 16},
		{"hostnossl without SSL", host("10.4.0.1", "u", "d"), 10},
		{"hostssl with SSL", HBAConn{Addr: netip.MustParseAddr("10.4.0.1"), SSL: true, User: "u", Database: "d"}, 9},
		{"samehost", host("192.168.7.10", "u", "d"), 11},
		{"samenet", host("192.168.7.99", "u", "d"), 12},
		{"replication never matches", host("172.16.0.1", "u", "replication"), 16},
		{"regular expressions", host("172.16.0.1", "ci_bot", "test_a"), 14},
		{"regex does not match", host("172.16.0.1", "bot", "test_a"), 16},
		{"comma lists, IPv6", host("fd00::1", "u2", "web"), 15},
		{"IPv6 outside every v6 line", host("2001:db8::1", "u2", "web"), 0},
		{"IPv4-mapped client is IPv4", host("::ffff:10.1.2.3", "bob", "bob"), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookups := 0
			lookup := func() (*Role, error) {
				lookups++
				if r := roles[tt.c.User]; r != nil {
					return r, nil
				}
				return &Role{Name: tt.c.User}, nil
			}
			got, err := h.Match(context.Background(), tt.c, lookup)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if got != nil {
				n = got.Line
			}
			if n != tt.line {
				t.Fatalf("matched line %d, want %d", n, tt.line)
			}
			if lookups > 1 {
				t.Fatalf("role looked up %d times", lookups)
			}
		})
	}
}

// TestHBAMatch_roleOnlyWhenNeeded: a connection decided before any +group or samerole line
// never fetches the role, and a lookup failure reaches the caller.
func TestHBAMatch_roleOnlyWhenNeeded(t *testing.T) {
	h := mustParse(t, "host all all 127.0.0.1/32 trust\nhost all +g all md5\n")
	fail := func() (*Role, error) { return nil, errors.New("lookup failed") }
	l, err := h.Match(context.Background(), HBAConn{Addr: netip.MustParseAddr("127.0.0.1"), User: "u", Database: "d"}, fail)
	if err != nil || l == nil || l.Line != 1 {
		t.Fatalf("got %+v, %v", l, err)
	}
	if _, err := h.Match(context.Background(), HBAConn{Addr: netip.MustParseAddr("10.0.0.1"), User: "u", Database: "d"}, fail); err == nil {
		t.Fatal("the lookup error was lost")
	}
}

type fakeResolver struct{ names, addrs map[string][]string }

func (f fakeResolver) LookupAddr(_ context.Context, a string) ([]string, error) {
	if n, ok := f.names[a]; ok {
		return n, nil
	}
	return nil, errors.New("no name")
}

func (f fakeResolver) LookupHost(_ context.Context, h string) ([]string, error) {
	if a, ok := f.addrs[h]; ok {
		return a, nil
	}
	return nil, errors.New("no host")
}

func TestHBAMatch_hostnames(t *testing.T) {
	h := mustParse(t, "host all all db1.example.com md5\nhost all all .corp.example trust\n")
	r := fakeResolver{
		names: map[string][]string{"10.0.0.1": {"DB1.example.com."}, "10.0.0.2": {"ws.corp.example."}, "10.0.0.3": {"spoof.corp.example."}},
		addrs: map[string][]string{"DB1.example.com": {"10.0.0.1"}, "ws.corp.example": {"10.0.0.2"}, "spoof.corp.example": {"10.9.9.9"}},
	}
	for addr, want := range map[string]int{"10.0.0.1": 1, "10.0.0.2": 2, "10.0.0.3": 0, "10.0.0.4": 0} {
		l, err := h.Match(context.Background(), HBAConn{Addr: netip.MustParseAddr(addr), User: "u", Database: "d", Resolver: r}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		if l != nil {
			got = l.Line
		}
		if got != want {
			t.Errorf("%s: line %d, want %d", addr, got, want)
		}
	}
}

func TestHBAConn_messages(t *testing.T) {
	tests := []struct {
		c      HBAConn
		noneOf string
		reject string
	}{
		{HBAConn{Addr: netip.MustParseAddr("1.2.3.4"), User: "u", Database: "d"},
			`no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", no encryption`,
			`pg_hba.conf rejects connection for host "1.2.3.4", user "u", database "d", no encryption`},
		{HBAConn{Local: true, User: "u", Database: "d"},
			`no pg_hba.conf entry for host "[local]", user "u", database "d", no encryption`,
			`pg_hba.conf rejects connection for host "[local]", user "u", database "d", no encryption`},
		{HBAConn{Addr: netip.MustParseAddr("::1"), SSL: true, User: `a"b`, Database: "d"},
			`no pg_hba.conf entry for host "::1", user "a"b", database "d", SSL encryption`,
			`pg_hba.conf rejects connection for host "::1", user "a"b", database "d", SSL encryption`},
	}
	for _, tt := range tests {
		if got := tt.c.NoEntryMessage(); got != tt.noneOf {
			t.Errorf("got  %s\nwant %s", got, tt.noneOf)
		}
		if got := tt.c.RejectMessage(); got != tt.reject {
			t.Errorf("got  %s\nwant %s", got, tt.reject)
		}
	}
}
