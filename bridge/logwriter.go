package bridge

import (
	"bytes"
	"io"
	"strings"

	"github.com/rs/zerolog"
)

// logWriter turns a guest's stdout/stderr into log lines. PostgreSQL's own log lines
// ("LOG:", "WARNING:", "FATAL:") keep their meaning through the level.
func logWriter(log zerolog.Logger, process, stream string) io.Writer {
	return &lineLogger{log: log.With().Str("process", process).Str("stream", stream).Logger()}
}

type lineLogger struct {
	log     zerolog.Logger
	partial []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.emit(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 64<<10 {
		l.emit(string(l.partial))
		l.partial = nil
	}
	return len(p), nil
}

func (l *lineLogger) emit(line string) {
	if line == "" {
		return
	}
	ev := l.log.Debug()
	switch {
	case strings.Contains(line, "PANIC:"), strings.Contains(line, "FATAL:"):
		ev = l.log.Error()
	case strings.Contains(line, "ERROR:"):
		ev = l.log.Debug()
	case strings.Contains(line, "WARNING:"):
		ev = l.log.Warn()
	}
	ev.Msg(line)
}
