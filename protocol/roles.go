package protocol

// roleWords are the words a statement that creates, changes or drops a role, or grants role
// membership, must contain: CREATE/ALTER/DROP ROLE or USER, GRANT, REVOKE, REASSIGN/DROP
// OWNED, and PASSWORD.
var roleWords = []string{"role", "user", "password", "grant", "revoke", "owned"}

// MentionsRoles reports whether SQL text contains one of roleWords as a whole word, in any
// case. It is a cheap, conservative test: a true answer only means that cached role data
// (passwords, memberships) must be re-read before it is trusted again.
func MentionsRoles(sql string) bool {
	for i := 0; i < len(sql); i++ {
		c := sql[i] | 0x20
		if c != 'r' && c != 'u' && c != 'p' && c != 'g' && c != 'o' {
			continue
		}
		if i > 0 && isWordByte(sql[i-1]) {
			continue
		}
		for _, w := range roleWords {
			if hasWordAt(sql, i, w) {
				return true
			}
		}
	}
	return false
}

func hasWordAt(s string, i int, w string) bool {
	if len(s)-i < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		c := s[i+k]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		if c != w[k] {
			return false
		}
	}
	return i+len(w) == len(s) || !isWordByte(s[i+len(w)])
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
}

// MentionsTemp reports whether SQL text may create a temporary object: it contains TEMP,
// TEMPORARY or pg_temp as a whole word, in any case. Like MentionsRoles it is a cheap,
// conservative test; the server then looks at what the statement really created.
func MentionsTemp(sql string) bool {
	for i := 0; i < len(sql); i++ {
		c := sql[i] | 0x20
		if c != 't' && c != 'p' || i > 0 && isWordByte(sql[i-1]) {
			continue
		}
		if hasWordAt(sql, i, "temp") || hasWordAt(sql, i, "temporary") || hasWordAt(sql, i, "pg_temp") {
			return true
		}
	}
	return false
}
