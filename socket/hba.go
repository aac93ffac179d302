package socket

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// This file reads pg_hba.conf the way PostgreSQL 18 does (src/backend/libpq/hba.c), so that
// an operator's file means here what it means there. Only the methods this server can carry
// out are accepted; any other is a load error, as PostgreSQL refuses a method its build
// lacks, rather than a line that silently never matches.

// AuthReject refuses the connection. It only comes from a pg_hba.conf "reject" line.
const AuthReject AuthMethod = AuthPassword + 1

// String returns the method's pg_hba.conf keyword.
func (m AuthMethod) String() string {
	switch m {
	case AuthTrust:
		return "trust"
	case AuthSCRAM:
		return "scram-sha-256"
	case AuthMD5:
		return "md5"
	case AuthPassword:
		return "password"
	case AuthReject:
		return "reject"
	}
	return "unknown"
}

// HBAConnType is the first column of a pg_hba.conf line.
type HBAConnType int

const (
	HBALocal     HBAConnType = iota // local: Unix sockets and in-process connections
	HBAHost                         // host: TCP, with or without SSL
	HBAHostSSL                      // hostssl: TCP with SSL
	HBAHostNoSSL                    // hostnossl: TCP without SSL
	HBAHostNoGSS                    // hostnogssenc: TCP; GSS encryption is never offered, so like host
)

// HBA is a parsed pg_hba.conf: its lines in file order. The first line that matches a
// connection decides how it authenticates.
type HBA struct {
	File  string
	Lines []HBALine
}

// HBALine is one rule.
type HBALine struct {
	Line      int    // number of the line in the file (the first one of a continued line)
	Raw       string // the line as written, continuations joined
	Type      HBAConnType
	Databases []hbaToken
	Users     []hbaToken
	Addr      hbaAddr // host lines only
	Method    AuthMethod
}

// hbaToken is one comma-separated item of the database or user column. A quoted token is a
// plain name, never a keyword, a +group or a regular expression.
type hbaToken struct {
	s      string
	quoted bool
	re     *regexp.Regexp // for "/regex" tokens
}

func (t hbaToken) keyword(k string) bool { return !t.quoted && t.s == k }

// hbaAddr is the address column of a host line.
type hbaAddr struct {
	kind     hbaAddrKind
	ip       netip.Addr
	mask     []byte // as long as ip; PostgreSQL allows any netmask, not only prefixes
	hostname string // a host name or, with a leading dot, a domain suffix
}

type hbaAddrKind int

const (
	addrAll hbaAddrKind = iota
	addrSameHost
	addrSameNet
	addrMask
	addrHostname
)

// HBAOptions tell the parser what the server can do.
type HBAOptions struct {
	// SSL reports whether the server accepts TLS: without it a hostssl line can never match,
	// which PostgreSQL treats as an error in the file.
	SSL bool
}

// HBAError is a mistake on one line of the file.
type HBAError struct {
	File string
	Line int
	Msg  string
}

func (e *HBAError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg)
}

// ParseHBA parses the text of a pg_hba.conf; file names it in errors. Like PostgreSQL it
// checks every line, so that one attempt reports every mistake (joined, each an *HBAError),
// and any mistake rejects the whole file.
func ParseHBA(file, text string, opts HBAOptions) (*HBA, error) {
	h := &HBA{File: file}
	var errs []error
	for _, ll := range splitHBALines(text) {
		fields, err := tokenizeHBALine(ll.text)
		if err == "" && len(fields) == 0 {
			continue
		}
		if err == "" {
			var line *HBALine
			line, err = parseHBALine(fields, opts)
			if line != nil {
				line.Line, line.Raw = ll.num, ll.text
				h.Lines = append(h.Lines, *line)
			}
		}
		if err != "" {
			errs = append(errs, &HBAError{File: file, Line: ll.num, Msg: err})
		}
	}
	if len(errs) == 0 && len(h.Lines) == 0 {
		errs = append(errs, &HBAError{File: file, Msg: fmt.Sprintf("configuration file %s contains no entries", dq(file))})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return h, nil
}

type hbaLogicalLine struct {
	num  int
	text string
}

// splitHBALines joins backslash continuations. A backslash continues the line only when it
// comes after the point of the previous continuation, so "\\" at the end of a line followed
// by an empty line does not swallow the line after.
func splitHBALines(text string) []hbaLogicalLine {
	phys := strings.Split(text, "\n")
	if n := len(phys); n > 0 && phys[n-1] == "" {
		phys = phys[:n-1]
	}
	var out []hbaLogicalLine
	for i := 0; i < len(phys); {
		num := i + 1
		var buf strings.Builder
		last := 0
		for i < len(phys) {
			buf.WriteString(strings.TrimRight(phys[i], "\r\n"))
			i++
			s := buf.String()
			if len(s) > last && strings.HasSuffix(s, `\`) {
				s = s[:len(s)-1]
				buf.Reset()
				buf.WriteString(s)
				last = len(s)
				continue
			}
			break
		}
		out = append(out, hbaLogicalLine{num: num, text: buf.String()})
	}
	return out
}

func hbaBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// tokenizeHBALine splits a line into fields, each a list of comma-separated tokens. As in
// PostgreSQL, "a, b" is one field of two tokens while "a ,b" is two fields. A non-empty
// string is the error.
func tokenizeHBALine(line string) ([][]hbaToken, string) {
	var fields [][]hbaToken
	pos := 0
	for pos < len(line) {
		var field []hbaToken
		for {
			tok, ok, comma, next := nextHBAToken(line, pos)
			pos = next
			if !ok {
				break
			}
			if !tok.quoted && len(tok.s) > 1 && tok.s[0] == '@' {
				return nil, fmt.Sprintf("file inclusion is not supported: %s", dq(tok.s))
			}
			field = append(field, tok)
			if !comma {
				break
			}
		}
		if field != nil {
			fields = append(fields, field)
		}
	}
	if len(fields) == 2 && len(fields[0]) > 0 {
		switch d := fields[0][0].s; d {
		case "include", "include_if_exists", "include_dir":
			return nil, fmt.Sprintf("%s directives are not supported", dq(d))
		}
	}
	return fields, ""
}

// nextHBAToken reads one token from pos: skip blanks and commas, then read up to an
// unquoted blank or comma; '#' outside quotes ends the line, and "" inside quotes is a
// literal quote. ok is false when the line has no more tokens.
func nextHBAToken(line string, pos int) (tok hbaToken, ok, comma bool, next int) {
	for pos < len(line) && (hbaBlank(line[pos]) || line[pos] == ',') {
		pos++
	}
	var buf strings.Builder
	inQuote, wasQuote, sawQuote := false, false, false
	for pos < len(line) && (!hbaBlank(line[pos]) || inQuote) {
		c := line[pos]
		if c == '#' && !inQuote {
			pos = len(line)
			break
		}
		if c == ',' && !inQuote {
			comma = true
			break
		}
		if c != '"' || wasQuote {
			buf.WriteByte(c)
		}
		if inQuote && c == '"' {
			wasQuote = !wasQuote
		} else {
			wasQuote = false
		}
		if c == '"' {
			inQuote = !inQuote
			sawQuote = true
			if buf.Len() == 0 {
				tok.quoted = true
			}
		}
		pos++
	}
	tok.s = buf.String()
	return tok, sawQuote || buf.Len() > 0, comma, pos
}

// unsupportedMethods are PostgreSQL methods this server cannot carry out.
var unsupportedMethods = map[string]bool{"ident": true, "peer": true, "gss": true, "sspi": true,
	"pam": true, "bsd": true, "ldap": true, "cert": true, "radius": true, "oauth": true}

// foreignOptions are PostgreSQL options of methods this server does not have, with the
// methods PostgreSQL names in its error.
var foreignOptions = map[string]string{
	"map":        "ident, peer, gssapi, sspi, cert, and oauth",
	"pamservice": "pam", "pam_use_hostname": "pam",
	"ldapurl": "ldap", "ldaptls": "ldap", "ldapscheme": "ldap", "ldapserver": "ldap", "ldapport": "ldap",
	"ldapbinddn": "ldap", "ldapbindpasswd": "ldap", "ldapsearchattribute": "ldap",
	"ldapsearchfilter": "ldap", "ldapbasedn": "ldap", "ldapprefix": "ldap", "ldapsuffix": "ldap",
	"krb_realm": "gssapi and sspi", "include_realm": "gssapi and sspi",
	"compat_realm": "sspi", "upn_username": "sspi",
	"radiusservers": "radius", "radiusports": "radius", "radiussecrets": "radius", "radiusidentifiers": "radius",
	"issuer": "oauth", "scope": "oauth", "validator": "oauth", "delegate_ident_mapping": "oauth",
}

// parseHBALine checks one tokenized line, in PostgreSQL's order and with its messages.
func parseHBALine(fields [][]hbaToken, opts HBAOptions) (*HBALine, string) {
	line := &HBALine{}
	if len(fields[0]) > 1 {
		return nil, "multiple values specified for connection type"
	}
	switch t := fields[0][0].s; t {
	case "local":
		line.Type = HBALocal
	case "host":
		line.Type = HBAHost
	case "hostssl":
		line.Type = HBAHostSSL
		if !opts.SSL {
			return nil, "hostssl record cannot match because SSL is disabled"
		}
	case "hostnossl":
		line.Type = HBAHostNoSSL
	case "hostnogssenc":
		line.Type = HBAHostNoGSS
	case "hostgssenc":
		return nil, "hostgssenc record cannot match because GSSAPI is not supported by this build"
	default:
		return nil, fmt.Sprintf("invalid connection type %s", dq(t))
	}
	rest := fields[1:]
	var err string
	if len(rest) == 0 {
		return nil, "end-of-line before database specification"
	}
	if line.Databases, err = compileHBATokens(rest[0]); err != "" {
		return nil, err
	}
	rest = rest[1:]
	if len(rest) == 0 {
		return nil, "end-of-line before role specification"
	}
	if line.Users, err = compileHBATokens(rest[0]); err != "" {
		return nil, err
	}
	rest = rest[1:]
	if line.Type != HBALocal {
		if rest, err = parseHBAAddr(line, rest); err != "" {
			return nil, err
		}
	}
	if len(rest) == 0 {
		return nil, "end-of-line before authentication method"
	}
	if len(rest[0]) > 1 {
		return nil, "multiple values specified for authentication type"
	}
	switch m := rest[0][0].s; {
	case m == "trust":
		line.Method = AuthTrust
	case m == "reject":
		line.Method = AuthReject
	case m == "scram-sha-256":
		line.Method = AuthSCRAM
	case m == "md5":
		line.Method = AuthMD5
	case m == "password":
		line.Method = AuthPassword
	case unsupportedMethods[m]:
		return nil, fmt.Sprintf("invalid authentication method %s: not supported by this build", dq(m))
	default:
		return nil, fmt.Sprintf("invalid authentication method %s", dq(m))
	}
	for _, f := range rest[1:] {
		for _, t := range f {
			name, _, ok := strings.Cut(t.s, "=")
			switch {
			case !ok:
				return nil, "authentication option not in name=value format: " + t.s
			case name == "clientcert" || name == "clientname":
				if line.Type != HBAHostSSL {
					return nil, fmt.Sprintf(`%s can only be configured for "hostssl" rows`, name)
				}
				// Client certificates are never requested, so a check of one could not hold.
				return nil, fmt.Sprintf("authentication option %s is not supported by this build", dq(name))
			case foreignOptions[name] != "":
				return nil, fmt.Sprintf("authentication option %s is only valid for authentication methods %s", dq(name), foreignOptions[name])
			default:
				return nil, fmt.Sprintf("unrecognized authentication option name: %s", dq(name))
			}
		}
	}
	return line, ""
}

// compileHBATokens compiles "/regex" tokens. PostgreSQL uses its own (Tcl-derived) regular
// expressions; Go's RE2 syntax agrees with them on everything an hba pattern normally uses.
func compileHBATokens(toks []hbaToken) ([]hbaToken, string) {
	out := make([]hbaToken, len(toks))
	for i, t := range toks {
		if !t.quoted && strings.HasPrefix(t.s, "/") {
			re, err := regexp.Compile(t.s[1:])
			if err != nil {
				return nil, fmt.Sprintf("invalid regular expression %s: %v", dq(t.s[1:]), err)
			}
			t.re = re
		}
		out[i] = t
	}
	return out, ""
}

// parseHBAAddr reads the address column, and the netmask column after an address without a
// CIDR suffix; it returns the fields that follow.
func parseHBAAddr(line *HBALine, rest [][]hbaToken) ([][]hbaToken, string) {
	if len(rest) == 0 {
		return nil, "end-of-line before IP address specification"
	}
	if len(rest[0]) > 1 {
		return nil, "multiple values specified for host address"
	}
	tok := rest[0][0]
	rest = rest[1:]
	a := &line.Addr
	switch {
	case tok.keyword("all"):
		a.kind = addrAll
		return rest, ""
	case tok.keyword("samehost"):
		a.kind = addrSameHost
		return rest, ""
	case tok.keyword("samenet"):
		a.kind = addrSameNet
		return rest, ""
	}
	host, bits, hasBits := strings.Cut(tok.s, "/")
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if hasBits {
			return nil, fmt.Sprintf("specifying both host name and CIDR mask is invalid: %s", dq(tok.s))
		}
		a.kind, a.hostname = addrHostname, host
		return rest, ""
	}
	a.kind, a.ip = addrMask, ip
	size := ip.BitLen()
	if hasBits {
		n, err := strconv.Atoi(bits)
		if err != nil || bits == "" || bits[0] == '+' || bits[0] == '-' || n < 0 || n > size {
			return nil, fmt.Sprintf("invalid CIDR mask in address %s", dq(tok.s))
		}
		a.mask = net.CIDRMask(n, size)
		return rest, ""
	}
	if len(rest) == 0 {
		return nil, "end-of-line before netmask specification"
	}
	if len(rest[0]) > 1 {
		return nil, "multiple values specified for netmask"
	}
	mtok := rest[0][0].s
	m, err := netip.ParseAddr(mtok)
	if err != nil {
		return nil, fmt.Sprintf("invalid IP mask %s: not a numeric address", dq(mtok))
	}
	if m.BitLen() != size {
		return nil, "IP address and mask do not match"
	}
	a.mask = m.AsSlice()
	return rest[1:], ""
}
