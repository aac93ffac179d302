// Package logfield holds the value conventions of pglite-go's log fields.
package logfield

import "time"

// Millis is d in milliseconds, for a log field whose name ends in _ms. zerolog's own Dur
// writes the unit of a global setting that an embedding program may change, which the
// field's name could then not say.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
