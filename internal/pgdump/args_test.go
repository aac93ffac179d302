package pgdump

import "testing"

func TestCheckArgs(t *testing.T) {
	ok := [][]string{
		nil, {"--schema-only"}, {"-s", "-O"}, {"-sO"}, {"--table=a", "-t", "b", "-tc"}, {"-Fp"}, {"--format", "plain"},
		{"-n", "-f"}, // -n takes "-f" as its value (a schema pattern)
		{"--exclude-table", "--file"}, {"--inserts", "--rows-per-insert=10", "--clean", "--if-exists"},
	}
	for _, a := range ok {
		if err := CheckArgs(a); err != nil {
			t.Errorf("%q: %v", a, err)
		}
	}
	bad := [][]string{
		{"-Fc"}, {"--format=directory"}, {"-F", "t"}, {"-f", "x.sql"}, {"-fx.sql"}, {"--file=x"}, {"-j4"},
		{"-h", "db"}, {"--port=1"}, {"-U", "me"}, {"-W"}, {"-sW"}, {"--dbname=x"}, {"--filter=f"},
		{"-V"}, {"--help"}, {"mydb"}, {"--", "x"},
	}
	for _, a := range bad {
		if err := CheckArgs(a); err == nil {
			t.Errorf("%q: accepted", a)
		}
	}
}
