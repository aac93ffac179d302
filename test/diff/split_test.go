package main

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Statement
	}{
		{"plain", "select 1; select 2;", []Statement{{SQL: "select 1", Line: 1}, {SQL: "select 2", Line: 1}}},
		{"no final semicolon", "select 1;\n\nselect 2\n", []Statement{{SQL: "select 1", Line: 1}, {SQL: "select 2", Line: 3}}},
		{"semicolon in string", "select 'a;b', 'it''s;';", []Statement{{SQL: "select 'a;b', 'it''s;'", Line: 1}}},
		{"escape string", `select E'\';', 1;`, []Statement{{SQL: `select E'\';', 1`, Line: 1}}},
		{"standard string keeps backslash", `select '\'; select 2;`, []Statement{{SQL: `select '\'`, Line: 1}, {SQL: "select 2", Line: 1}}},
		{"quoted identifier", `select 1 as "a;""b";`, []Statement{{SQL: `select 1 as "a;""b"`, Line: 1}}},
		{"dollar quotes", "do $$ begin raise notice ';'; end $$;\nselect $tag$ $$ ; $tag$;",
			[]Statement{{SQL: "do $$ begin raise notice ';'; end $$", Line: 1}, {SQL: "select $tag$ $$ ; $tag$", Line: 2}}},
		{"parameter is no dollar quote", "prepare p as select $1::int; select 1;",
			[]Statement{{SQL: "prepare p as select $1::int", Line: 1}, {SQL: "select 1", Line: 1}}},
		{"dollar inside identifier", "select 1 as a$b$; select 2;", []Statement{{SQL: "select 1 as a$b$", Line: 1}, {SQL: "select 2", Line: 1}}},
		{"comments", "-- a; b\nselect 1 /* x; /* nested; */ y */ ; -- c;\n/* only */",
			[]Statement{{SQL: "select 1 /* x; /* nested; */ y */", Line: 2}}},
		{"parentheses", "create rule r as on insert to t do also (select 1; select 2);",
			[]Statement{{SQL: "create rule r as on insert to t do also (select 1; select 2)", Line: 1}}},
		{"begin atomic", "create function f() returns int language sql\nbegin atomic select 1; select case when true then 2 end; end;\nselect f();",
			[]Statement{{SQL: "create function f() returns int language sql\nbegin atomic select 1; select case when true then 2 end; end", Line: 1}, {SQL: "select f()", Line: 3}}},
		{"transaction begin", "begin; select 1; commit;",
			[]Statement{{SQL: "begin", Line: 1}, {SQL: "select 1", Line: 1}, {SQL: "commit", Line: 1}}},
		{"exclude directive", "-- diff: exclude timing differs\nselect now();\nselect 1;",
			[]Statement{{SQL: "select now()", Line: 2, Exclude: "timing differs"}, {SQL: "select 1", Line: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Split(%q)\n got %#v\nwant %#v", tt.src, got, tt.want)
			}
		})
	}
}

func TestSplit_errors(t *testing.T) {
	for _, src := range []string{"select 'open", "select $$ open", "/* open", `\d t`, `select "open`} {
		if _, err := Split(src); err == nil {
			t.Errorf("Split(%q): no error", src)
		}
	}
}
