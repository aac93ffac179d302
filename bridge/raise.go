package bridge

import (
	"strings"

	"github.com/pglite-go/pglite/emscripten"
)

// elevelError is ERROR in utils/elog.h.
const elevelError = 21

// sqlstate packs a five-character SQLSTATE as MAKE_SQLSTATE does.
func sqlstate(code string) uint64 {
	var v uint64
	for i := 0; i < 5; i++ {
		v |= uint64((code[i]-'0')&0x3F) << (6 * i)
	}
	return v
}

// raiseError raises ereport(ERROR) in the guest from a host function, with an optional hint;
// PostgreSQL unwinds to its error handler, so it does not return (unless errstart declines).
func raiseError(p *emscripten.Process, code, msg, hint string) {
	if p.CallNested("errstart", elevelError, 0) == 0 {
		return
	}
	p.CallNested("errcode", sqlstate(code))
	sp := p.StackPointer()
	if ptr, err := p.StackString(strings.ReplaceAll(msg, "%", "%%")); err == nil {
		p.CallNested("errmsg_internal", uint64(ptr), 0)
	}
	if hint != "" {
		if ptr, err := p.StackString(strings.ReplaceAll(hint, "%", "%%")); err == nil {
			p.CallNested("errhint", uint64(ptr), 0)
		}
	}
	p.SetStackPointer(sp)
	p.CallNested("errfinish", 0, 0, 0) // longjmps (or exits 100) and does not return
}
