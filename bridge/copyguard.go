package bridge

import (
	"encoding/binary"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

// copyGuard keeps a client's protocol violation during COPY FROM STDIN away from the
// backend. PostgreSQL answers any message but CopyData, CopyDone, CopyFail, Flush and Sync
// there with FATAL "protocol synchronization was lost", which ends the shared backend for
// every client. So the backend gets its input only up to the next message that may start a
// COPY (it would otherwise read ahead past it), the guard notices the CopyInResponse in the output,
// and while the COPY runs it checks each message before the backend sees it. A violating
// message is replaced by a CopyFail, the rest of the client's input is dropped, and so is the
// backend's answer: the caller ends that client's connection with PostgreSQL's FATAL
// (CopyViolation).
type copyGuard struct {
	framed    bool // the input is whole frontend messages (not a startup packet)
	msgEnd    int  // where in inst.in the input handed out so far may end
	copyIn    bool // the backend sent CopyInResponse and its COPY has not ended
	violation byte // the type of the message refused, 0 if none
	suppress  bool // drop the backend's output: the client is being ended

	outHdr  [5]byte
	outHdrN int
	outSkip int
}

// limit is how far into inst.in the backend may read now.
func (g *copyGuard) limit(inst *Instance) int {
	if !g.framed {
		return len(inst.in)
	}
	if inst.inOff < g.msgEnd {
		return g.msgEnd
	}
	in, off := inst.in, inst.inOff
	if !g.copyIn {
		// Up to and including the next message that may start a COPY (a Query or an
		// Execute): the backend must not read past it before the guard sees its answer.
		end := off
		for end < len(in) {
			t := in[end]
			end += max(messageLen(in, end), 1)
			if protocol.MayStartCopy(t) {
				break
			}
		}
		g.msgEnd = min(len(in), end)
		return g.msgEnd
	}
	end := off
	for end+5 <= len(in) {
		switch t := in[end]; {
		case protocol.AllowedInCopyIn(t):
			end += messageLen(in, end)
			continue
		case protocol.EndsCopyIn(t):
			end += messageLen(in, end)
			g.copyIn = false
		default:
			if end == off {
				g.refuse(inst, t)
				return g.msgEnd
			}
		}
		break
	}
	g.msgEnd = min(len(in), end)
	return g.msgEnd
}

// refuse ends the COPY in the backend with a CopyFail in place of the message of type t,
// and drops the rest of the client's input.
func (g *copyGuard) refuse(inst *Instance, t byte) {
	fail, _ := (&pgproto3.CopyFail{Message: "unexpected message type during COPY from stdin"}).Encode(nil)
	inst.in, inst.inOff, inst.more = fail, 0, nil
	g.msgEnd, g.copyIn, g.violation, g.suppress = len(fail), false, t, true
}

// sawOutput follows the backend's output message by message, looking for CopyInResponse.
func (g *copyGuard) sawOutput(b []byte) {
	for len(b) > 0 {
		if g.outSkip > 0 {
			k := min(g.outSkip, len(b))
			g.outSkip -= k
			b = b[k:]
			continue
		}
		k := copy(g.outHdr[g.outHdrN:], b)
		g.outHdrN += k
		b = b[k:]
		if g.outHdrN == len(g.outHdr) {
			if protocol.IsCopyInResponse(g.outHdr[0]) {
				g.copyIn = true
			}
			g.outSkip = int(binary.BigEndian.Uint32(g.outHdr[1:])) - 4
			g.outHdrN = 0
		}
	}
}

// messageLen is the length of the message at off, header included, clamped to the input.
func messageLen(in []byte, off int) int {
	if off+5 > len(in) {
		return len(in) - off
	}
	return 1 + int(binary.BigEndian.Uint32(in[off+1:]))
}

// CopyViolation reports the message type a client sent during COPY FROM STDIN that the
// guard refused in the last Exec: its connection must be ended with protocol.CopyInFatal.
func (inst *Instance) CopyViolation() (byte, bool) {
	return inst.guard.violation, inst.guard.violation != 0
}
