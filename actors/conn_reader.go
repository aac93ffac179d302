package actors

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
	"github.com/pglite-go/pglite/session"
	"github.com/pglite-go/pglite/socket"
)

// clientPort is a ConnectionHandler's side of its session: the session.Client that the
// Backend writes results to, routes notifications to and terminates.
type clientPort struct {
	h      *connHandler
	system *actor.ActorSystem
	self   *actor.PID
}

var _ session.Client = (*clientPort)(nil)

func (c *clientPort) Write(p []byte) (int, error) {
	n, err := c.h.output.Write(p)
	if errors.Is(err, errClientNotReading) {
		c.h.log.Warn().Msg("client stopped reading its results; dropping it")
	}
	return n, err
}

// WriteLater lets the Backend leave a result's last write to the writer goroutine.
func (c *clientPort) WriteLater(p []byte) bool { return c.h.output.writeLater(p) }

func (c *clientPort) Notify(msg []byte) {
	if !c.h.output.post(outItem{data: msg}) {
		c.h.log.Warn().Msg("client is not reading; dropping it")
	}
}

func (c *clientPort) Terminate(fatal []byte) {
	c.system.Root.Send(c.self, &SessionTerminated{Message: fatal})
}

func (c *clientPort) Gone() <-chan struct{} { return c.h.gone }

// WakeReader lets a reader that sleeps poll for the client's next query (session.Session).
func (c *clientPort) WakeReader() {
	if c.h.reader != nil {
		c.h.reader.WakeRead()
	}
}

// startReader runs the session on the client's reader goroutine (session.Session.Serve),
// which usually runs its queries too, then reports how reading ended.
func (h *connHandler) startReader(system *actor.ActorSystem, self *actor.PID, s *session.Session) {
	conn, out := socket.SpinReads(h.conn, h.cfg.ReadSpin, s.RunsAtOnce), h.output
	h.reader, _ = conn.(socket.ReadWaker)
	go func() {
		err := s.Serve(protocol.NewFramer(conn))
		if err != nil && !socket.IsBenignClose(err) {
			// Through the output, in order with a result a job may be writing meanwhile.
			_, _ = out.Write(protocol.ProtocolViolation(err.Error()))
		}
		system.Root.Send(self, &clientGone{err: err})
	}()
}
