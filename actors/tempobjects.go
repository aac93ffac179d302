package actors

import (
	"errors"
	"strconv"
	"strings"

	"github.com/pglite-go/pglite/bridge"
)

// Temporary objects belong to the backend session, which clients share. PostgreSQL drops a
// session's temporary objects when its connection ends; here a client that leaves the backend
// to nobody takes everything with DISCARD ALL (worker_internal.go), and a client that leaves
// while others stay drops the temporary tables, views and sequences it created. Which ones
// those are the server learns after a batch whose SQL mentions TEMP, TEMPORARY or pg_temp:
// once the client is idle (never inside its transaction), it lists the temporary relations
// and takes the new ones as that client's.

// tempQuery lists the temporary relations that can be dropped by name.
const tempQuery = "select c.oid, c.relkind, pg_catalog.quote_ident(c.relname) from pg_catalog.pg_class c" +
	" where c.relnamespace = pg_catalog.pg_my_temp_schema() and c.relkind in ('r', 'p', 'v', 'S', 'f')"

// tempObject is a temporary relation a client created.
type tempObject struct {
	oid  uint32
	kind byte
	name string
}

// listTemp reads the backend's temporary relations.
func (w *worker) listTemp() ([]tempObject, error) {
	rows, err := w.query(tempQuery)
	if err != nil {
		return nil, err
	}
	out := make([]tempObject, 0, len(rows))
	for _, r := range rows {
		if len(r) != 3 || r[1] == "" {
			continue
		}
		oid, err := strconv.ParseUint(r[0], 10, 32)
		if err != nil {
			continue
		}
		out = append(out, tempObject{oid: uint32(oid), kind: r[1][0], name: r[2]})
	}
	return out, nil
}

// dropTemp drops what is left of a departed client's temporary relations.
func (w *worker) dropTemp(objs map[uint32]tempObject) error {
	if len(objs) == 0 {
		return nil
	}
	live, err := w.listTemp()
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, o := range live {
		if _, mine := objs[o.oid]; !mine {
			continue
		}
		kind := "TABLE"
		switch o.kind {
		case 'v':
			kind = "VIEW"
		case 'S':
			kind = "SEQUENCE"
		case 'f':
			kind = "FOREIGN TABLE"
		}
		b.WriteString("DROP " + kind + " IF EXISTS pg_temp." + o.name + " CASCADE;")
	}
	if b.Len() == 0 {
		return nil
	}
	_, err = w.query(b.String())
	if err != nil && !isBroken(err) {
		w.log.Warn().Err(err).Msg("could not drop a departed client's temporary objects")
		return nil
	}
	return err
}

func isBroken(err error) bool { return errors.Is(err, bridge.ErrBroken) }

// adoptTemp records, from a list of the backend's temporary relations read after session s's
// batch, the new ones as s's, and forgets those that are gone.
func (b *bridgeActor) adoptTemp(s *session, live []tempObject) {
	present := make(map[uint32]bool, len(live))
	for _, o := range live {
		present[o.oid] = true
		if _, owned := b.tempOwner[o.oid]; !owned && s != nil {
			if s.temp == nil {
				s.temp = map[uint32]tempObject{}
			}
			s.temp[o.oid] = o
			b.tempOwner[o.oid] = s.id
		}
	}
	for oid, id := range b.tempOwner {
		if !present[oid] {
			delete(b.tempOwner, oid)
			if o := b.sessions[id]; o != nil {
				delete(o.temp, oid)
			}
		}
	}
}

// releaseTemp forgets a departed session's temporary relations (they are being dropped).
func (b *bridgeActor) releaseTemp(s *session) {
	for oid := range s.temp {
		delete(b.tempOwner, oid)
	}
}
