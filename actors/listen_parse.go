package actors

import (
	"regexp"
	"strings"
)

// listenRE finds LISTEN and UNLISTEN commands in query text. The backend listens on the
// union of all clients' channels, so the server must know each client's own set to route
// notifications; SQL built dynamically inside functions is not seen (documented).
var listenRE = regexp.MustCompile(`(?i)(?:^|[;\s(])(un)?listen\s+("(?:[^"]|"")+"|[a-z_\pL][a-z0-9_$\pL]*|\*)`)

// parseListen adds the channels a query text subscribes to or drops to req.
func parseListen(sql string, req *ExecRequest) {
	if !strings.Contains(strings.ToLower(sql), "listen") {
		return
	}
	for _, m := range listenRE.FindAllStringSubmatch(sql, -1) {
		ch := m[2]
		switch {
		case ch == "*":
			if m[1] != "" {
				req.UnlistenAll = true
			}
			continue
		case strings.HasPrefix(ch, `"`):
			ch = strings.ReplaceAll(ch[1:len(ch)-1], `""`, `"`)
		default:
			ch = strings.ToLower(ch)
		}
		if m[1] != "" {
			req.Unlisten = append(req.Unlisten, ch)
		} else {
			req.Listen = append(req.Listen, ch)
		}
	}
}
