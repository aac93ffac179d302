package actors

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// The backend holds one client's session state at a time. A PostgreSQL backend gets its
// state once, at connection start: startup options become reset values (source client),
// the login user becomes session_authorization's reset value (source override), and SETs are
// session-level values on top. The shared backend gets the same three layers again each time
// it passes to a client whose state differs, so that RESET, RESET ALL, DISCARD ALL and RESET
// SESSION AUTHORIZATION return to what that client's own server would return to.

// bootUser is the role the backend runs as after boot.
const bootUser = "postgres"

// adopt makes inst the worker's instance after a boot: it reads what the Bridge needs, the
// server's reset values, and gives the boot session its login user as
// session_authorization's reset value, which single-user mode never sets.
func (w *worker) adopt(inst *bridge.Instance) (bootInfo, error) {
	w.inst = inst
	w.cur = backendSession{user: bootUser}
	info, err := readBootInfo(inst)
	if err != nil {
		return info, err
	}
	rows, err := w.query("select name, reset_val from pg_catalog.pg_settings")
	if err != nil {
		return info, err
	}
	w.resets = make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) == 2 {
			w.resets[strings.ToLower(r[0])] = r[1] // setting names are case-insensitive
		}
	}
	err = inst.SetOption("session_authorization", bootUser, bridge.GucContextBackend, bridge.GucSourceOverride)
	if errors.Is(err, bridge.ErrBroken) {
		return info, err
	}
	return info, nil
}

// captureSettings reads the session-level settings the current client has made, including
// its session authorization and role, which pg_settings does not list.
func (w *worker) captureSettings() (map[string]string, error) {
	rows, err := w.query("select name, setting from pg_catalog.pg_settings where source = 'session'" +
		" union all select 'role', pg_catalog.current_setting('role')" +
		" union all select 'session_authorization', pg_catalog.current_setting('session_authorization')")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			continue
		}
		switch {
		case r[0] == "role" && r[1] == "none":
		case r[0] == "session_authorization" && (r[1] == w.cur.user || r[1] == ""):
		default:
			out[r[0]] = r[1]
		}
	}
	return out, nil
}

// switchTo makes the backend hold sess's state. Clients with the same state share it, so
// switching between them costs nothing.
func (w *worker) switchTo(sess *session) error {
	if w.cur.owner == sess.id {
		return nil
	}
	if w.cur.user == sess.user && maps.Equal(w.cur.startup, sess.startup) && maps.Equal(w.cur.settings, sess.settings) {
		w.cur.owner = sess.id
		return nil
	}
	// Reset values: the new client's startup options, and the server's values back for
	// those only the previous client had.
	ctxBackend := bridge.GucContextBackend // as PostgreSQL's process_startup_options
	if sess.super {
		ctxBackend = bridge.GucContextSUBackend
	}
	apply := func(name, value string) error {
		err := w.inst.SetOption(name, value, ctxBackend, bridge.GucSourceClient)
		if errors.Is(err, bridge.ErrBroken) {
			return err
		}
		if err != nil {
			w.log.Debug().Err(err).Uint64("conn_id", sess.id).Msg("startup option not applied")
		}
		return nil
	}
	for name, value := range sess.startup {
		if w.cur.startup[name] != value {
			if err := apply(name, value); err != nil {
				return err
			}
		}
	}
	for name := range w.cur.startup {
		if _, ok := sess.startup[name]; !ok {
			if v, known := w.resets[strings.ToLower(name)]; known {
				if err := apply(name, v); err != nil {
					return err
				}
			}
		}
	}
	if w.cur.user != sess.user {
		err := w.inst.SetOption("session_authorization", sess.user, bridge.GucContextBackend, bridge.GucSourceOverride)
		if errors.Is(err, bridge.ErrBroken) {
			return err
		}
	}
	// Session-level values on top, as after the client's own SETs.
	var b strings.Builder
	b.WriteString("RESET ALL; RESET SESSION AUTHORIZATION;")
	if len(sess.settings) > 0 {
		b.WriteString(" SELECT ")
		first := true
		for _, k := range sortedKeys(sess.settings) {
			if !first {
				b.WriteString(", ")
			}
			first = false
			fmt.Fprintf(&b, "pg_catalog.set_config(%s, %s, false)", protocol.QuoteLiteral(k), protocol.QuoteLiteral(sess.settings[k]))
		}
	}
	if _, err := w.query(b.String()); err != nil {
		if errors.Is(err, bridge.ErrBroken) {
			return err
		}
		w.log.Warn().Err(err).Uint64("conn_id", sess.id).Msg("could not restore session settings")
	}
	w.cur = backendSession{owner: sess.id, user: sess.user, startup: sess.startup, settings: sess.settings}
	return nil
}

// sortedKeys orders settings so that session_authorization is set before role, which
// depends on it, and the rest in a stable order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "session_authorization":
			return 0
		case "role":
			return 1
		}
		return 2
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}
