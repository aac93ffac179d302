package main

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
)

// reload is SIGHUP: PostgreSQL re-reads its configuration files, and the server re-reads
// pg_hba.conf. As in PostgreSQL, a file that does not parse is logged and the old settings
// stay in force.
func reload(h *actors.Handle, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log.Info().Msg("received SIGHUP, reloading configuration files")
	if err := h.Reload(ctx); err != nil {
		log.Error().Err(err).Msg("reload failed; the previous configuration stays in force")
	}
}
