package test

import "testing"

// TestTimeFormatting: to_char's TZ and OF fields, which reach the host's _gmtime_js and
// _localtime_js, format in the session's time zone instead of failing on a missing symbol.
func TestTimeFormatting(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	mustExec(t, c, "set timezone = 'America/Los_Angeles'")
	cases := map[string]string{
		"select to_char('2020-07-01 10:00+00'::timestamptz, 'YYYY-MM-DD HH24 TZ OF')": "2020-07-01 03 PDT -07",
		"select to_char('2020-01-01 10:00+00'::timestamptz, 'HH24 tz')":               "02 pst",
		"select to_char(now(), 'TZ') in ('PST', 'PDT')::text":                         "true",
	}
	for q, want := range cases {
		if got := scalar[string](t, c, q); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
}
