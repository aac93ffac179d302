package session

import (
	"strconv"
	"strings"
)

// Temporary objects belong to the backend session, which clients share. PostgreSQL drops a
// session's temporary objects when its connection ends; here a client that leaves the backend
// to nobody takes everything with DISCARD ALL (cleanup.go), and a client that leaves while
// others stay drops the temporary tables, views and sequences it created. Which ones those
// are the server learns after a batch whose SQL mentions TEMP, TEMPORARY or pg_temp: once the
// client is idle (never inside its transaction), it lists the temporary relations and takes
// the new ones as that client's.

// tempQuery lists the temporary relations that can be dropped by name.
const tempQuery = "select c.oid, c.relkind, pg_catalog.quote_ident(c.relname) from pg_catalog.pg_class c" +
	" where c.relnamespace = pg_catalog.pg_my_temp_schema() and c.relkind in ('r', 'p', 'v', 'S', 'f')"

// tempObject is a temporary relation a client created.
type tempObject struct {
	oid  uint32
	kind string // the DROP command's object type
	name string
}

// relkinds maps pg_class.relkind to the object type DROP names.
var relkinds = map[string]string{"r": "TABLE", "p": "TABLE", "v": "VIEW", "S": "SEQUENCE", "f": "FOREIGN TABLE"}

// listTemp reads the backend's temporary relations.
func (b *Backend) listTemp() ([]tempObject, error) {
	rows, err := b.query(tempQuery)
	if err != nil {
		return nil, err
	}
	out := make([]tempObject, 0, len(rows))
	for _, r := range rows {
		if len(r) != 3 || relkinds[r[1]] == "" {
			continue
		}
		oid, err := strconv.ParseUint(r[0], 10, 32)
		if err != nil {
			continue
		}
		out = append(out, tempObject{oid: uint32(oid), kind: relkinds[r[1]], name: r[2]})
	}
	return out, nil
}

// dropTemp drops what is left of a departed client's temporary relations.
func (b *Backend) dropTemp(objs map[uint32]tempObject) error {
	if len(objs) == 0 {
		return nil
	}
	live, err := b.listTemp()
	if err != nil {
		return err
	}
	var q strings.Builder
	for _, o := range live {
		if _, mine := objs[o.oid]; mine {
			q.WriteString("DROP " + o.kind + " IF EXISTS pg_temp." + o.name + " CASCADE;")
		}
	}
	if q.Len() == 0 {
		return nil
	}
	_, err = b.query(q.String())
	if err != nil && !isBroken(err) {
		b.cfg.Log.Warn().Err(err).Msg("could not drop a departed client's temporary objects")
		return nil
	}
	return err
}

// adoptTemp records, from a list of the backend's temporary relations read after session s's
// batch, the new ones as s's, and forgets those that are gone.
func (b *Backend) adoptTemp(s *Session, live []tempObject) {
	present := make(map[uint32]bool, len(live))
	for _, o := range live {
		present[o.oid] = true
		if _, owned := b.tempOwner[o.oid]; !owned {
			if s.temp == nil {
				s.temp = map[uint32]tempObject{}
			}
			s.temp[o.oid] = o
			b.tempOwner[o.oid] = s
		}
	}
	for oid, o := range b.tempOwner {
		if !present[oid] {
			delete(b.tempOwner, oid)
			delete(o.temp, oid)
		}
	}
}

// releaseTemp forgets a departed session's temporary relations (they are being dropped).
func (b *Backend) releaseTemp(s *Session) {
	for oid := range s.temp {
		delete(b.tempOwner, oid)
	}
}
