package regress

import (
	"regexp"
	"strings"
)

// A Rewrite is a test's SQL with the server-side COPY statements that read the suite's data
// files turned into psql \copy, and what it takes to undo that in psql's echo of the input.
//
// pg_regress's server reads data/*.data itself (COPY t FROM '<abs_srcdir>/data/x.data'); a
// server in WebAssembly cannot see the host's files, so psql reads them and sends them as
// COPY FROM STDIN, which gives the server the same rows. Everything else stays byte for byte.
type Rewrite struct {
	SQL      string
	Rewrites int
	// echoes maps each \copy line, as psql -a echoes it, to the lines it replaced.
	echoes map[string][]string
}

// copyFromVar matches the first line of `COPY target FROM :'var' ...`.
var copyFromVar = regexp.MustCompile(`(?i)^copy\s+(.+?)\s+(from)\s+:'(\w+)'(.*)$`)

// RewriteSQL rewrites sql, where dataDir is the absolute path of the suite's data directory
// and env the environment \getenv reads. It follows the psql variables that \getenv and \set
// build file names from, as the tests do (\set filename :abs_srcdir '/data/agg.data').
func RewriteSQL(sql, dataDir string, env map[string]string) Rewrite {
	vars := map[string]string{}
	lines := strings.SplitAfter(sql, "\n")
	rw := Rewrite{echoes: map[string][]string{}}
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		body := strings.TrimRight(line, "\r\n")
		trackVariable(body, vars, env)
		m := copyFromVar.FindStringSubmatch(body)
		if m == nil {
			out.WriteString(line)
			continue
		}
		path, ok := vars[m[3]]
		if !ok || !strings.HasPrefix(path, dataDir+"/") || strings.Contains(path, "'") {
			out.WriteString(line)
			continue
		}
		// The statement may go on over more lines; \copy takes exactly one.
		original := []string{body}
		rest := m[4]
		j := i
		for !strings.HasSuffix(strings.TrimSpace(rest), ";") && j+1 < len(lines) {
			j++
			next := strings.TrimRight(lines[j], "\r\n")
			original = append(original, next)
			rest += " " + strings.TrimSpace(next)
		}
		rest = strings.TrimSuffix(strings.TrimRight(rest, " \t"), ";")
		cmd := `\copy ` + m[1] + " " + m[2] + " '" + path + "'" + strings.TrimRight(rest, " \t")
		rw.echoes[cmd] = original
		rw.Rewrites++
		out.WriteString(cmd + "\n")
		i = j
	}
	rw.SQL = out.String()
	return rw
}

// RestoreEcho puts the original statements back where psql echoed a \copy of ours, so that
// the output can be compared with expected/, which echoes the COPY as the test wrote it.
func (rw Rewrite) RestoreEcho(output string) string {
	if len(rw.echoes) == 0 {
		return output
	}
	lines := strings.SplitAfter(output, "\n")
	var out strings.Builder
	for _, line := range lines {
		body, nl := strings.CutSuffix(line, "\n")
		if orig, ok := rw.echoes[body]; ok {
			out.WriteString(strings.Join(orig, "\n"))
			if nl {
				out.WriteString("\n")
			}
			continue
		}
		out.WriteString(line)
	}
	return out.String()
}

// trackVariable records what \getenv and \set lines assign, for the simple forms the suite
// uses to build paths; a variable set any other way is forgotten.
func trackVariable(line string, vars, env map[string]string) {
	f := psqlWords(line)
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case `\getenv`:
		if len(f) == 3 {
			if v, ok := env[f[2]]; ok {
				vars[f[1]] = v
			} else {
				delete(vars, f[1])
			}
		}
	case `\set`:
		if len(f) < 2 {
			return
		}
		var v strings.Builder
		for _, w := range f[2:] {
			switch {
			case strings.HasPrefix(w, ":'") || strings.HasPrefix(w, `:"`):
				delete(vars, f[1])
				return
			case strings.HasPrefix(w, ":"):
				s, ok := vars[w[1:]]
				if !ok {
					delete(vars, f[1])
					return
				}
				v.WriteString(s)
			case strings.HasPrefix(w, "'"):
				v.WriteString(strings.ReplaceAll(strings.TrimSuffix(w[1:], "'"), "''", "'"))
			default:
				v.WriteString(w)
			}
		}
		vars[f[1]] = v.String()
	}
}

// psqlWords splits a backslash command into its words, keeping single-quoted words whole
// (with their quotes).
func psqlWords(line string) []string {
	if !strings.HasPrefix(line, `\`) {
		return nil
	}
	var words []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			quoted = !quoted
			cur.WriteByte(c)
		case !quoted && (c == ' ' || c == '\t'):
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}
