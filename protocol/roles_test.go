package protocol

import "testing"

func TestMentionsRoles(t *testing.T) {
	for sql, want := range map[string]bool{
		"ALTER ROLE app PASSWORD 'x'":               true,
		"create user bob":                           true,
		"grant r1 to app":                           true,
		"REVOKE r1 FROM app":                        true,
		"drop owned by app":                         true,
		"alter role\tapp valid until 'infinity'":    true,
		"do $$ begin execute 'drop role x'; end $$": true,
		"select * from users where user_id = 1":     false,
		"select current_user, session_user":         false,
		"insert into grants_log values (1)":         false,
		"select 1":                                  false,
		"update t set roles = 2":                    false,
		"":                                          false,
		"ROLE":                                      true,
	} {
		if got := MentionsRoles(sql); got != want {
			t.Errorf("MentionsRoles(%q) = %v", sql, got)
		}
	}
}

func FuzzMentionsRoles(f *testing.F) {
	f.Add("alter role x")
	f.Fuzz(func(t *testing.T, s string) { MentionsRoles(s) })
}

func TestMentionsTemp(t *testing.T) {
	for sql, want := range map[string]bool{
		"create temp table t(x int)":          true,
		"CREATE TEMPORARY VIEW v AS SELECT 1": true,
		"create table pg_temp.t(x int)":       true,
		"create temp sequence s":              true,
		"select * from temperature":           false,
		"create table template_x(x int)":      false,
		"insert into my_temp values (1)":      false,
		"":                                    false,
	} {
		if got := MentionsTemp(sql); got != want {
			t.Errorf("MentionsTemp(%q) = %v", sql, got)
		}
	}
}
