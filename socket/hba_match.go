package socket

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Matching a connection against parsed pg_hba.conf rules, as PostgreSQL's check_hba does.

// HBAConn describes a connection attempt to match against the rules.
type HBAConn struct {
	Local    bool       // a Unix socket or an in-process connection
	Addr     netip.Addr // the client's address, for TCP
	SSL      bool
	User     string
	Database string
	// Interfaces lists the server's own addresses for samehost and samenet (nil:
	// net.InterfaceAddrs).
	Interfaces func() ([]net.Addr, error)
	// Resolver resolves host names in the address column (nil: net.DefaultResolver).
	Resolver HBAResolver
}

// HBAResolver is the part of *net.Resolver that host name lines need.
type HBAResolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Role is what authentication needs to know about the connecting role, read once per
// connection and only when a matched line needs it.
type Role struct {
	Name     string
	Exists   bool
	Password string // pg_authid.rolpassword: a SCRAM-SHA-256 or md5 verifier; empty: none
	CanLogin bool
	// ValidUntil is rolvaliduntil; the zero time means no limit.
	ValidUntil time.Time
	// MemberOf lists every role it belongs to, directly or through other roles.
	MemberOf []string
}

// IsMember reports membership as pg_hba.conf's +group and samerole see it: a role belongs to
// itself and to every role it was granted, directly or not; being a superuser does not count.
func (r *Role) IsMember(group string) bool {
	if r == nil || !r.Exists {
		return false
	}
	if group == r.Name {
		return true
	}
	for _, g := range r.MemberOf {
		if g == group {
			return true
		}
	}
	return false
}

// RoleLookup fetches the connecting role. Match calls it at most once, and only for a line
// whose +group or samerole needs it.
type RoleLookup func() (*Role, error)

// Match returns the first line that matches c, or nil when none does. An error comes only
// from roles.
func (h *HBA) Match(ctx context.Context, c HBAConn, roles RoleLookup) (*HBALine, error) {
	m := &hbaMatch{ctx: ctx, c: c, lookup: roles}
	for i := range h.Lines {
		line := &h.Lines[i]
		if !m.connMatches(line) {
			continue
		}
		ok, err := m.databaseMatches(line.Databases)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if ok, err = m.userMatches(line.Users); err != nil {
			return nil, err
		}
		if ok {
			return line, nil
		}
	}
	return nil, nil
}

// hbaMatch caches what matching one connection needs: the role, the server's addresses and
// the client's host name are looked up at most once.
type hbaMatch struct {
	ctx    context.Context
	c      HBAConn
	lookup RoleLookup
	role   *Role
	looked bool
	ifaces []netip.Prefix
	ifDone bool
	name   string
	nameOK int // 0: not resolved yet, 1: resolved and confirmed, -1: failed
}

func (m *hbaMatch) getRole() (*Role, error) {
	if !m.looked {
		m.looked = true
		if m.lookup != nil {
			r, err := m.lookup()
			if err != nil {
				m.looked = false
				return nil, err
			}
			m.role = r
		}
	}
	return m.role, nil
}

func (m *hbaMatch) connMatches(line *HBALine) bool {
	if line.Type == HBALocal || m.c.Local {
		return line.Type == HBALocal && m.c.Local
	}
	if m.c.SSL && line.Type == HBAHostNoSSL || !m.c.SSL && line.Type == HBAHostSSL {
		return false
	}
	client := m.c.Addr.Unmap()
	switch a := line.Addr; a.kind {
	case addrAll:
		return true
	case addrMask:
		return maskMatches(client, a.ip.Unmap(), a.mask)
	case addrSameHost, addrSameNet:
		for _, p := range m.interfaces() {
			if a.kind == addrSameHost && p.Addr() == client || a.kind == addrSameNet && p.Contains(client) {
				return true
			}
		}
		return false
	case addrHostname:
		return m.hostnameMatches(a.hostname)
	}
	return false
}

// maskMatches compares the masked bytes of two addresses of the same family, as
// PostgreSQL's pg_range_sockaddr does.
func maskMatches(client, ip netip.Addr, mask []byte) bool {
	if client.BitLen() != ip.BitLen() {
		return false
	}
	cb, ib := client.AsSlice(), ip.AsSlice()
	if len(mask) != len(cb) {
		return false
	}
	for i := range cb {
		if cb[i]&mask[i] != ib[i]&mask[i] {
			return false
		}
	}
	return true
}

func (m *hbaMatch) interfaces() []netip.Prefix {
	if m.ifDone {
		return m.ifaces
	}
	m.ifDone = true
	list := m.c.Interfaces
	if list == nil {
		list = net.InterfaceAddrs
	}
	addrs, err := list()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ones, bits := ipn.Mask.Size()
		if ip.Is4In6() && bits == 8*net.IPv6len {
			ones -= 96
		}
		if p := netip.PrefixFrom(ip.Unmap(), ones); p.IsValid() {
			m.ifaces = append(m.ifaces, p)
		}
	}
	return m.ifaces
}

// hostnameMatches resolves the client's address to a name, compares it with pattern (a
// leading dot matches a suffix) and confirms that the name resolves back to the client.
func (m *hbaMatch) hostnameMatches(pattern string) bool {
	r := m.c.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	if m.nameOK < 0 {
		return false
	}
	if m.name == "" {
		names, err := r.LookupAddr(m.ctx, m.c.Addr.Unmap().String())
		if err != nil || len(names) == 0 {
			m.nameOK = -1
			return false
		}
		m.name = strings.TrimSuffix(names[0], ".")
	}
	name := strings.ToLower(m.name)
	p := strings.ToLower(pattern)
	if strings.HasPrefix(p, ".") && !strings.HasSuffix(name, p) || !strings.HasPrefix(p, ".") && name != p {
		return false
	}
	if m.nameOK == 1 {
		return true
	}
	addrs, err := r.LookupHost(m.ctx, m.name)
	if err != nil {
		m.nameOK = -1
		return false
	}
	for _, s := range addrs {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Unmap() == m.c.Addr.Unmap() {
			m.nameOK = 1
			return true
		}
	}
	m.nameOK = -1
	return false
}

func (m *hbaMatch) databaseMatches(toks []hbaToken) (bool, error) {
	db := m.c.Database
	for _, t := range toks {
		switch {
		case t.keyword("all"):
			return true, nil
		case t.keyword("sameuser"):
			if db == m.c.User {
				return true, nil
			}
		case t.keyword("samerole"), t.keyword("samegroup"):
			r, err := m.getRole()
			if err != nil {
				return false, err
			}
			if r.IsMember(db) {
				return true, nil
			}
		case t.keyword("replication"):
			// Only replication connections match it, and this server has none.
		case t.re != nil:
			if t.re.MatchString(db) {
				return true, nil
			}
		case t.s == db:
			return true, nil
		}
	}
	return false, nil
}

func (m *hbaMatch) userMatches(toks []hbaToken) (bool, error) {
	user := m.c.User
	for _, t := range toks {
		switch {
		case !t.quoted && strings.HasPrefix(t.s, "+"):
			r, err := m.getRole()
			if err != nil {
				return false, err
			}
			if r.IsMember(t.s[1:]) {
				return true, nil
			}
		case t.keyword("all"):
			return true, nil
		case t.re != nil:
			if t.re.MatchString(user) {
				return true, nil
			}
		case t.s == user:
			return true, nil
		}
	}
	return false, nil
}

// dq quotes a name the way PostgreSQL's messages do: in double quotes, unescaped.
func dq(s string) string { return `"` + s + `"` }

// host is the client as PostgreSQL names it in errors.
func (c HBAConn) host() string {
	if c.Local {
		return "[local]"
	}
	return c.Addr.Unmap().String()
}

func (c HBAConn) encryption() string {
	if c.SSL {
		return "SSL encryption"
	}
	return "no encryption"
}

// NoEntryMessage is PostgreSQL's FATAL (28000) text when no line matches.
func (c HBAConn) NoEntryMessage() string {
	return fmt.Sprintf("no pg_hba.conf entry for host %s, user %s, database %s, %s", dq(c.host()), dq(c.User), dq(c.Database), c.encryption())
}

// RejectMessage is PostgreSQL's FATAL (28000) text when a reject line matches.
func (c HBAConn) RejectMessage() string {
	return fmt.Sprintf("pg_hba.conf rejects connection for host %s, user %s, database %s, %s", dq(c.host()), dq(c.User), dq(c.Database), c.encryption())
}
