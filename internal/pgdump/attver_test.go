package pgdump

import (
	"bytes"
	"strings"
	"testing"
)

func TestAttverFilter(t *testing.T) {
	in := strings.Join([]string{
		"CREATE TABLE public.t (id integer);",
		"ALTER TABLE ONLY public.t ALTER COLUMN id SET (pg_attver=24229080);",
		"ALTER TABLE ONLY public.t ALTER COLUMN v SET (n_distinct=5, pg_attver=24229080);",
		"ALTER TABLE ONLY public.t ALTER COLUMN w SET (pg_attver=1, n_distinct=-1);",
		"ALTER TABLE ONLY public.t ALTER COLUMN x SET (n_distinct=2);",
		"COPY public.t (id) FROM stdin;",
		"ALTER TABLE ONLY public.t ALTER COLUMN id SET (pg_attver=7);",
		"\\N",
		"\\.",
		"ALTER TABLE public.\"odd name\" ALTER COLUMN \"c\" SET (pg_attver=3);",
		"-- the end",
	}, "\n")
	want := strings.Join([]string{
		"CREATE TABLE public.t (id integer);",
		"ALTER TABLE ONLY public.t ALTER COLUMN v SET (n_distinct=5);",
		"ALTER TABLE ONLY public.t ALTER COLUMN w SET (n_distinct=-1);",
		"ALTER TABLE ONLY public.t ALTER COLUMN x SET (n_distinct=2);",
		"COPY public.t (id) FROM stdin;",
		"ALTER TABLE ONLY public.t ALTER COLUMN id SET (pg_attver=7);", // COPY data stays as it is
		"\\N",
		"\\.",
		"-- the end",
	}, "\n")
	// Every split of the input into writes gives the same output.
	for split := 1; split <= len(in); split++ {
		var out bytes.Buffer
		f := newAttverFilter(&out)
		for i := 0; i < len(in); i += split {
			if _, err := f.Write([]byte(in[i:min(i+split, len(in))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Fatalf("split %d:\n%s\nwant:\n%s", split, out.String(), want)
		}
	}
}
