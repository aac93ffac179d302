package regress

import (
	"context"
	"strings"
)

// probeSQL reads the session state that a real server discards when a client disconnects
// but that the shared PGlite backend might keep: the user, temporary tables, SQL-level
// prepared statements and cursors.
const probeSQL = `select concat_ws(' ',
	'session_user=' || session_user, 'current_user=' || current_user,
	'temp_tables=' || (select count(*) from pg_class where relpersistence = 't' and relkind = 'r'),
	'prepared=' || (select count(*) from pg_prepared_statements),
	'cursors=' || (select count(*) from pg_cursors))`

// probe returns the state a fresh client finds, to compare with what the first one found.
func (r *runner) probe(ctx context.Context) string {
	out, err := r.daemon.Query(ctx, r.cfg.Database, probeSQL)
	if err != nil {
		return "probe failed: " + strings.TrimSpace(err.Error())
	}
	return strings.TrimSpace(out)
}
