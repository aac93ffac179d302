package pgtest

import (
	"context"
	"sync"
	"time"

	"github.com/pglite-go/pglite"
)

// templates caches one template per key (see settings.keys) in the process.
var templates struct {
	sync.Mutex
	m map[string]*templateEntry
}

type templateEntry struct {
	once sync.Once
	t    *pglite.Template
	err  error
}

// templateFor returns the template for s, building it on first use. Tests that need one
// that is still being built wait for it; different templates build concurrently.
func templateFor(s *settings) (*pglite.Template, error) {
	key, cacheKey, err := s.keys()
	if err != nil {
		return nil, err
	}
	templates.Lock()
	if templates.m == nil {
		templates.m = map[string]*templateEntry{}
	}
	e := templates.m[key]
	if e == nil {
		e = &templateEntry{}
		templates.m[key] = e
	}
	templates.Unlock()
	e.once.Do(func() { e.t, e.err = buildTemplate(s, cacheKey) })
	return e.t, e.err
}

// buildTemplate makes a template: the pristine one boots (once per set of server
// settings); one with a setup clones the pristine one, so that PostgreSQL boots only once
// per process, unless it is kept across processes, when it comes from the cache (or is
// built for it).
func buildTemplate(s *settings, cacheKey string) (*pglite.Template, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	server := s.serverSettings()
	setup := s.templateSetup()
	switch {
	case setup == nil:
		return pglite.NewTemplate(ctx, pglite.Options{Settings: server}, nil)
	case cacheKey != "":
		return pglite.CachedTemplate(ctx, cacheKey, pglite.Options{Settings: server}, setup)
	}
	base, err := templateFor(&settings{server: s.server})
	if err != nil {
		return nil, err
	}
	return pglite.NewTemplate(ctx, pglite.Options{Template: base}, setup)
}
