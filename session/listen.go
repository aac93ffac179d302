package session

import (
	"regexp"
	"strings"

	"github.com/pglite-go/pglite/protocol"
)

// The backend listens on the union of all clients' channels, so the session layer must know
// each client's own set to route notifications. It learns them from the SQL text of LISTEN
// and UNLISTEN (SQL built dynamically inside functions is not seen: documented), applied
// once such a command completed.

// listenRE finds LISTEN and UNLISTEN commands in query text.
var listenRE = regexp.MustCompile(`(?i)(?:^|[;\s(])(un)?listen\s+("(?:[^"]|"")+"|[a-z_\pL][a-z0-9_$\pL]*|\*)`)

// containsListen reports whether sql holds "listen" in any case, without the copy
// strings.ToLower would make of every query.
func containsListen(sql string) bool {
	const w = "listen"
	for i := 0; i+len(w) <= len(sql); i++ {
		if sql[i]|0x20 == 'l' && strings.EqualFold(sql[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// parseListen adds the channels a query text subscribes to or drops to req.
func parseListen(sql string, req *request) {
	if !containsListen(sql) {
		return
	}
	for _, m := range listenRE.FindAllStringSubmatch(sql, -1) {
		ch := m[2]
		switch {
		case ch == "*":
			if m[1] != "" {
				req.unlistenAll = true
			}
			continue
		case strings.HasPrefix(ch, `"`):
			ch = strings.ReplaceAll(ch[1:len(ch)-1], `""`, `"`)
		default:
			ch = strings.ToLower(ch)
		}
		if m[1] != "" {
			req.unlisten = append(req.unlisten, ch)
		} else {
			req.listen = append(req.listen, ch)
		}
	}
}

// route delivers a NotificationResponse to every session listening on its channel.
func (b *Backend) route(msg []byte) {
	_, channel, _, ok := protocol.Notification(msg)
	if !ok {
		return
	}
	for s := range b.channels[channel] {
		if !s.detached {
			s.client.Notify(msg)
		}
	}
}

// applyListen records a session's LISTEN and UNLISTEN once a command of that kind
// completed. A channel another session still wants is subscribed again after this
// session's UNLISTEN.
func (b *Backend) applyListen(s *Session, listen, unlisten []string, unlistenAll bool) {
	drop := func(ch string) {
		delete(s.listen, ch)
		delete(b.channels[ch], s)
		if len(b.channels[ch]) == 0 {
			delete(b.channels, ch)
		}
	}
	var lost []string
	if unlistenAll {
		for ch := range s.listen {
			drop(ch)
			lost = append(lost, ch)
		}
	}
	for _, ch := range unlisten {
		drop(ch)
		lost = append(lost, ch)
	}
	for _, ch := range listen {
		s.listen[ch] = true
		if b.channels[ch] == nil {
			b.channels[ch] = map[*Session]bool{}
		}
		b.channels[ch][s] = true
	}
	var again []string
	if unlistenAll {
		// UNLISTEN * ended every subscription of the shared backend, other clients' too.
		for ch := range b.channels {
			again = append(again, ch)
		}
	} else {
		for _, ch := range lost {
			if len(b.channels[ch]) > 0 {
				again = append(again, ch)
			}
		}
	}
	b.relisten(again)
}

// discardedAll handles a client's DISCARD ALL: its own subscriptions end, as it asked, and
// the backend listens again on every channel other clients still want (DISCARD ALL runs
// UNLISTEN * for the whole backend).
func (b *Backend) discardedAll(s *Session) {
	b.applyListen(s, nil, nil, true)
}

// relisten subscribes the backend again to channels, before the next client batch.
func (b *Backend) relisten(again []string) {
	if len(again) == 0 {
		return
	}
	b.internal = append(b.internal, func(b *Backend) (func(), error) {
		_, err := b.query(listenSQL(again))
		return nil, err
	})
}

func listenSQL(channels []string) string {
	var q strings.Builder
	for _, ch := range channels {
		q.WriteString("LISTEN " + protocol.QuoteIdent(ch) + ";")
	}
	return q.String()
}
