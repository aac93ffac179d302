package session

import (
	"maps"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

// cleanupPlan is what a departed client's cleanup must release, decided under the lock
// when its turn comes.
type cleanupPlan struct {
	drop  []string // channels nobody else listens on
	alone bool     // no other client is attached: DISCARD ALL
	temp  map[uint32]tempObject
}

// planCleanup takes a departed session out of the shared books.
func (b *Backend) planCleanup(s *Session) cleanupPlan {
	var p cleanupPlan
	for ch := range s.listen {
		if len(b.channels[ch]) == 1 {
			p.drop = append(p.drop, ch)
		}
		delete(b.channels[ch], s)
		if len(b.channels[ch]) == 0 {
			delete(b.channels, ch)
		}
	}
	p.alone = b.clientCount() == 0 // s is detached already
	p.temp = maps.Clone(s.temp)    // the cleanup reads it without the lock
	if p.alone {
		clear(b.tempOwner) // DISCARD ALL drops every temporary object
	} else {
		b.releaseTemp(s)
	}
	return p
}

// cleanup releases what a departed client left on the backend: an unfinished pipeline or
// transaction, its prepared statements, and the subscriptions no one else needs. When no
// other client is attached it also ends everything else a PostgreSQL backend ends with its
// connection, with DISCARD ALL: temporary tables, SQL-level prepared statements, cursors
// WITH HOLD, advisory locks; the next connection then finds none of them. (With others
// attached those belong to the shared session, see the README's known limits.)
func (b *Backend) cleanup(s *Session, p cleanupPlan) error {
	status, err := b.sync()
	if err != nil {
		return err
	}
	if status != 'I' {
		if _, err := b.query("ROLLBACK"); isBroken(err) {
			return err
		}
	}
	// An exiting PostgreSQL backend flushes its pending statistics; the next client must see
	// the departed one's counters as it would after a real disconnect.
	if _, err := b.query("select pg_catalog.pg_stat_force_next_flush()"); isBroken(err) {
		return err
	}
	if p.alone {
		if err := b.switchTo(s); err != nil {
			return err
		}
		if _, err := b.query("DISCARD ALL"); isBroken(err) {
			return err
		}
		// RESET ALL and RESET SESSION AUTHORIZATION went to this client's reset values.
		b.cur = backendState{user: s.user, startup: s.startup}
		return nil
	}
	if err := b.dropTemp(p.temp); err != nil {
		return err
	}
	rows, err := b.query("select name from pg_prepared_statements where starts_with(name, " + protocol.QuoteLiteral(s.namer.Prefix) + ")")
	if isBroken(err) {
		return err
	}
	var msgs []byte
	for _, r := range rows {
		msgs = append(msgs, protocol.CloseStatement(r[0])...)
	}
	for _, ch := range p.drop {
		msgs = append(msgs, mustEncode(&pgproto3.Query{String: "UNLISTEN " + protocol.QuoteIdent(ch)})...)
	}
	if len(msgs) > 0 {
		msgs = append(msgs, mustEncode(&pgproto3.Sync{})...)
		if err := b.discard(msgs); err != nil {
			return err
		}
	}
	if b.cur.owner == s.id {
		b.cur.owner, b.cur.settingsPending = 0, false
	}
	return nil
}
