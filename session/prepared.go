package session

import "sync"

// preparedStore keeps the Parse message (with the private name) of each named statement a
// client has prepared and not closed. DEALLOCATE ALL and DISCARD ALL, sent by any client,
// deallocate every statement in the shared backend; the other clients' statements are then
// prepared again from here before their next batch, so that one client's reset never breaks
// another's cached statements. The reader goroutine fills it; a job reads it.
type preparedStore struct {
	mu    sync.Mutex
	parse map[string][]byte // by the client's statement name
}

func (p *preparedStore) put(name string, parse []byte) {
	p.mu.Lock()
	if p.parse == nil {
		p.parse = map[string][]byte{}
	}
	p.parse[name] = append([]byte(nil), parse...)
	p.mu.Unlock()
}

func (p *preparedStore) remove(name string) {
	p.mu.Lock()
	delete(p.parse, name)
	p.mu.Unlock()
}

func (p *preparedStore) clear() {
	p.mu.Lock()
	p.parse = nil
	p.mu.Unlock()
}

func (p *preparedStore) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parse)
}

// messages returns every stored Parse followed by a Sync, for the backend to run with its
// output discarded.
func (p *preparedStore) messages() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, m := range p.parse {
		out = append(out, m...)
	}
	if out != nil {
		out = append(out, mustEncodeSync...)
	}
	return out
}

var mustEncodeSync = []byte{'S', 0, 0, 0, 4}

// deallocatedAll handles session s's DEALLOCATE ALL or DISCARD ALL: its own statements are
// gone, as it asked; every other client's are prepared again before its next batch.
func (b *Backend) deallocatedAll(s *Session) {
	for _, o := range b.sessions {
		switch {
		case o.task != nil:
		case o == s:
			o.prepared.clear()
		case o.prepared.len() > 0:
			o.reprepare = true
		}
	}
}
