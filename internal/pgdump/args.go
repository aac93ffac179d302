package pgdump

import (
	"fmt"
	"strings"
)

// pg_dump 18's options that take a value, short and long (getopt_long's table in
// pg_dump.c), so that CheckArgs knows which argument is a value and not an option.
const shortWithValue = "deEfFhjnNpStTUZ"

var longWithValue = map[string]bool{
	"file": true, "format": true, "jobs": true, "dbname": true, "host": true, "port": true,
	"username": true, "schema": true, "exclude-schema": true, "table": true, "exclude-table": true,
	"compress": true, "encoding": true, "superuser": true, "extension": true, "exclude-extension": true,
	"role": true, "section": true, "snapshot": true, "exclude-table-data": true,
	"exclude-table-and-children": true, "exclude-table-data-and-children": true,
	"table-and-children": true, "filter": true, "lock-wait-timeout": true, "rows-per-insert": true,
	"extra-float-digits": true, "restrict-key": true,
}

// refused are the options that do not fit a dump streamed to the caller in process, and why.
var refused = []struct {
	names []string
	why   string
}{
	{[]string{"f", "file"}, "the dump goes to the caller's output (pglited dump -f FILE)"},
	{[]string{"j", "jobs"}, "parallel jobs need the directory format"},
	{[]string{"h", "host", "p", "port", "U", "username", "d", "dbname", "w", "no-password", "W", "password"},
		"the connection is set by the caller"},
	{[]string{"filter"}, "pg_dump would read that file inside its sandbox, not from the host"},
	{[]string{"V", "version", "?", "help"}, "it prints no dump"},
}

// CheckArgs refuses pg_dump options that do not fit a plain-format dump written to a stream
// in process: another format, an output file, parallel jobs, connection options (the
// connection is the caller's), --filter and the informational options.
func CheckArgs(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name, value string
		hasValue := false
		switch {
		case a == "--":
			return fmt.Errorf("pg_dump arguments: a database name is set by the caller, not after --")
		case strings.HasPrefix(a, "--"):
			name, value, hasValue = strings.Cut(a[2:], "=")
			if longWithValue[name] && !hasValue && i+1 < len(args) {
				i++
				value, hasValue = args[i], true
			}
			if err := check(a, name, value); err != nil {
				return err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				name = a[j : j+1]
				if strings.Contains(shortWithValue, name) {
					value, hasValue = a[j+1:], j+1 < len(a)
					if !hasValue && i+1 < len(args) {
						i++
						value, hasValue = args[i], true
					}
					if err := check(a, name, value); err != nil {
						return err
					}
					break
				}
				if err := check(a, name, ""); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("pg_dump argument %q: a database name is set by the caller", a)
		}
	}
	return nil
}

func check(arg, name, value string) error {
	if name == "F" || name == "format" {
		if v := strings.ToLower(value); v != "p" && v != "plain" {
			return fmt.Errorf("pg_dump option %s: only the plain format is supported", arg)
		}
		return nil
	}
	for _, r := range refused {
		for _, n := range r.names {
			if n == name {
				return fmt.Errorf("pg_dump option %s is not supported: %s", arg, r.why)
			}
		}
	}
	return nil
}
