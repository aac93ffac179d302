package actors

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/protocol"
	"github.com/pglite-go/pglite/socket"
)

// connHandler owns one client: its socket (through a reader and a writer goroutine it
// starts and stops), its session identity and statement namespace. It talks to the Bridge
// only through messages.
type connHandler struct {
	cfg       *Config
	id        uint64
	conn      net.Conn
	bridge    *actor.PID // nil until the router names it, in multi-database mode
	router    *actor.PID
	attach    *AttachRequest
	overLimit bool
	log       zerolog.Logger

	namer     protocol.Namer
	out       chan outItem
	acks      chan struct{}
	credits   chan struct{}
	gone      chan struct{}
	goneOnce  sync.Once
	attached  bool
	closing   bool
	stopped   atomic.Bool // closing, for the reader goroutine
	timer     *time.Timer
	cancelKey []byte
}

type outItem struct {
	data  []byte
	ack   bool
	final bool // close the connection after writing
}

func newConnHandler(cfg *Config, id uint64, conn net.Conn, bridge, router *actor.PID, overLimit bool) actor.Actor {
	return &connHandler{cfg: cfg, id: id, conn: conn, bridge: bridge, router: router, overLimit: overLimit,
		log:   cfg.Logger.With().Str("component", "conn").Uint64("conn_id", id).Str("remote_addr", conn.RemoteAddr().String()).Logger(),
		namer: protocol.NewNamer(uint32(id)),
		gone:  make(chan struct{}), acks: make(chan struct{}, ackWindow+1),
		credits: make(chan struct{}, maxQueuedBatches)}
}

// Receive implements actor.Actor.
func (h *connHandler) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		h.startHandshake(ctx)
	case *handshaken:
		h.handshaken(ctx, m)
	case *bridgeFound:
		if m.Fatal != nil {
			h.fatal(ctx, m.Fatal)
			return
		}
		h.bridge = m.PID
		ctx.Request(h.bridge, h.attach)
	case *AttachReply:
		h.attached2(ctx, m)
	case *attachTimeout:
		if !h.attached {
			h.fatal(ctx, protocol.CannotConnectNow(""))
		}
	case *clientFatal:
		h.fatal(ctx, m.msg)
	case *ExecChunk:
		h.chunk(ctx, m)
	case *NotificationArrived:
		h.write(outItem{data: m.Data})
	case *SessionTerminated:
		h.fatal(ctx, m.Message)
	case *clientGone:
		if !socket.IsBenignClose(m.err) {
			h.log.Info().Err(m.err).Msg("client connection failed")
		} else {
			h.log.Debug().Msg("client disconnected")
		}
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		h.shutdown(ctx)
	}
}

// startHandshake negotiates on a goroutine: TLS and authentication block on the client.
func (h *connHandler) startHandshake(ctx actor.Context) {
	self, system := ctx.Self(), ctx.ActorSystem()
	hc := socket.HandshakeConfig{TLS: h.cfg.TLS, Auth: h.cfg.Auth, Password: h.cfg.Password, Timeout: h.cfg.StartupTimeout}
	conn := h.conn
	go func() {
		hs, err := socket.Negotiate(conn, hc)
		system.Root.Send(self, &handshaken{hs: hs, err: err})
	}()
}

func (h *connHandler) handshaken(ctx actor.Context, m *handshaken) {
	if m.err != nil {
		h.log.Debug().Err(m.err).Msg("handshake failed")
		ctx.Stop(ctx.Self())
		return
	}
	h.conn = m.hs.Conn
	st := m.hs.Startup
	if st.Kind == protocol.KindCancel {
		target := h.bridge
		if target == nil {
			target = h.router
		}
		ctx.Send(target, &CancelRequest{PID: st.CancelPID, Key: st.CancelKey})
		ctx.Stop(ctx.Self())
		return
	}
	h.out = make(chan outItem, 4096)
	go h.writeLoop(h.out, ctx.ActorSystem(), ctx.Self())
	if h.overLimit {
		h.fatal(ctx, protocol.TooManyConnections())
		return
	}
	user := st.Params["user"]
	db := st.Params["database"]
	if db == "" {
		db = user
	}
	keyLen := 4
	if m.hs.Minor >= 2 {
		keyLen = 32
	}
	key := make([]byte, keyLen)
	_, _ = rand.Read(key)
	settings, err := startupSettings(st.Params)
	if err != nil {
		h.fatal(ctx, protocol.FatalError("22023", err.Error()))
		return
	}
	h.cancelKey = key
	h.attach = &AttachRequest{ConnID: h.id, User: user, Database: db, Settings: settings,
		CancelPID: uint32(h.id), CancelKey: key, Acks: h.acks, Gone: h.gone, Credits: h.credits}
	if h.bridge == nil {
		ctx.Request(h.router, &lookupBridge{Database: db})
	} else {
		ctx.Request(h.bridge, h.attach)
	}
	self, system := ctx.Self(), ctx.ActorSystem()
	h.timer = time.AfterFunc(h.cfg.StartupTimeout, func() { system.Root.Send(self, &attachTimeout{}) })
}

// startupSettings turns startup parameters into session settings: every parameter but the
// connection ones, plus "-c name=value" and "--name=value" from options.
func startupSettings(params map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range params {
		switch k {
		case "user", "database", "replication", "options":
			continue
		}
		out[k] = v
	}
	toks := strings.Fields(params["options"])
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "-c" && i+1 < len(toks):
			i++
			t = toks[i]
		case strings.HasPrefix(t, "-c"):
			t = t[2:]
		case strings.HasPrefix(t, "--"):
			t = t[2:]
		default:
			return nil, fmt.Errorf("invalid command-line argument for server process: %s", t)
		}
		name, val, ok := strings.Cut(t, "=")
		if !ok {
			return nil, fmt.Errorf("invalid command-line argument for server process: %s", t)
		}
		out[strings.ReplaceAll(name, "-", "_")] = val
	}
	return out, nil
}

func (h *connHandler) attached2(ctx actor.Context, m *AttachReply) {
	if h.timer != nil {
		h.timer.Stop()
	}
	if h.closing {
		return
	}
	if m.Fatal != nil {
		h.fatal(ctx, m.Fatal)
		return
	}
	h.attached = true
	var b []byte
	b, _ = (&pgproto3.AuthenticationOk{}).Encode(b)
	for _, p := range m.Params {
		b, _ = (&pgproto3.ParameterStatus{Name: p[0], Value: p[1]}).Encode(b)
	}
	b = appendBackendKey(b, uint32(h.id), h.cancelKey)
	b, _ = (&pgproto3.ReadyForQuery{TxStatus: 'I'}).Encode(b)
	h.write(outItem{data: b})
	self, system := ctx.Self(), ctx.ActorSystem()
	go h.readLoop(system, self)
}

// appendBackendKey encodes BackendKeyData with a key of any length (protocol 3.2 allows up
// to 256 bytes).
func appendBackendKey(b []byte, pid uint32, key []byte) []byte {
	b = append(b, 'K')
	b = binary.BigEndian.AppendUint32(b, uint32(8+len(key)))
	b = binary.BigEndian.AppendUint32(b, pid)
	return append(b, key...)
}

// readLoop frames client messages and hands them to the Bridge in batches: everything that is
// already buffered travels together, so a pipeline reaches the backend in one exchange.
func (h *connHandler) readLoop(system *actor.ActorSystem, self *actor.PID) {
	fr := protocol.NewFramer(h.conn)
	dead := false
	submit := func(batch [][]byte) {
		if !dead && !h.submit(system, self, batch) {
			dead = true
		}
	}
	for {
		var batch [][]byte
		size := 0
		for {
			msg, err := fr.Next()
			if err != nil {
				if len(batch) > 0 {
					submit(batch)
				}
				if !socket.IsBenignClose(err) {
					_, _ = h.conn.Write(protocol.ProtocolViolation(err.Error()))
				}
				system.Root.Send(self, &clientGone{err: err})
				return
			}
			if msg.Type == 'X' {
				if len(batch) > 0 {
					submit(batch)
				}
				system.Root.Send(self, &clientGone{})
				return
			}
			batch = append(batch, append([]byte(nil), msg.Raw...))
			size += len(msg.Raw)
			if fr.Buffered() == 0 || size > 1<<20 {
				break
			}
		}
		submit(batch)
	}
}

// writeLoop writes to the client in order, acknowledging each ExecChunk so that the
// backend streams no faster than the client reads.
// It gets the channel as a parameter: the actor clears its field at shutdown.
func (h *connHandler) writeLoop(out <-chan outItem, system *actor.ActorSystem, self *actor.PID) {
	for item := range out {
		if len(item.data) > 0 {
			if _, err := h.conn.Write(item.data); err != nil {
				system.Root.Send(self, &clientGone{err: err})
				drain(out)
				return
			}
		}
		if item.ack {
			select {
			case h.acks <- struct{}{}:
			default:
			}
		}
		if item.final {
			h.conn.Close()
			system.Root.Send(self, &clientGone{})
			drain(out)
			return
		}
	}
}

func drain(out <-chan outItem) {
	for range out {
	}
}

func (h *connHandler) write(item outItem) {
	if h.out == nil || h.closing {
		return
	}
	select {
	case h.out <- item:
	default:
		h.log.Warn().Msg("client is not reading; dropping it")
		h.closing = true
		h.stopped.Store(true)
		h.conn.Close()
	}
}

// submit rewrites a batch for this session (private statement and portal names) and sends it
// to the Bridge. It runs on the reader goroutine, not in Receive: the rewrite only needs the
// immutable namer, and skipping a hop through this actor's mailbox saves a goroutine switch
// per query. A malformed message is handed to the actor as a fatal error, and then submit
// reports false so that the reader drops what follows.
func (h *connHandler) submit(system *actor.ActorSystem, self *actor.PID, msgs [][]byte) bool {
	if h.stopped.Load() {
		return false
	}
	select {
	case h.credits <- struct{}{}: // waits while too many requests are queued
	case <-h.gone:
		return false
	}
	req := &ExecRequest{ConnID: h.id}
	var cur []byte
	for _, m := range msgs {
		switch m[0] {
		case 'Q':
			parseListen(string(m[5:]), req)
		case 'P':
			if name, rest, ok := cstring(m[5:]); ok {
				if q, _, ok := cstring(rest); ok {
					parseListen(q, req)
				}
				if name == "" {
					req.Segments, cur = flushSeg(req.Segments, cur)
					req.Segments = append(req.Segments, Segment{Data: protocol.CloseStatement(h.namer.UnnamedStatement()), Internal: true})
				}
			}
		case 'B':
			if portal, _, ok := cstring(m[5:]); ok && portal == "" {
				req.Segments, cur = flushSeg(req.Segments, cur)
				req.Segments = append(req.Segments, Segment{Data: protocol.ClosePortal(h.namer.UnnamedPortal()), Internal: true})
			}
		}
		var err error
		cur, err = h.namer.Rewrite(cur, m)
		if err != nil {
			system.Root.Send(self, &clientFatal{msg: protocol.ProtocolViolation(fmt.Sprintf("invalid message format: %v", err))})
			return false
		}
	}
	req.Segments, _ = flushSeg(req.Segments, cur)
	system.Root.Send(h.bridge, req)
	return true
}

func flushSeg(segs []Segment, cur []byte) ([]Segment, []byte) {
	if len(cur) > 0 {
		segs = append(segs, Segment{Data: cur})
	}
	return segs, nil
}

func cstring(b []byte) (string, []byte, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", nil, false
}

func (h *connHandler) chunk(ctx actor.Context, m *ExecChunk) {
	if m.Err != nil {
		h.fatal(ctx, protocol.FatalError("XX000", "terminating connection because the database instance failed"))
		return
	}
	h.write(outItem{data: m.Data, ack: !m.Done})
}

// fatal sends a final error and closes.
func (h *connHandler) fatal(ctx actor.Context, msg []byte) {
	if h.closing {
		return
	}
	if h.out == nil {
		_, _ = h.conn.Write(msg)
		ctx.Stop(ctx.Self())
		return
	}
	h.write(outItem{data: msg, final: true})
	h.closing = true
	h.stopped.Store(true)
	// A client that does not read must not keep the writer blocked forever.
	_ = h.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
}

// shutdown closes the socket and tells the Bridge the session is gone.
func (h *connHandler) shutdown(ctx actor.Context) {
	h.stopped.Store(true)
	h.goneOnce.Do(func() { close(h.gone) })
	if h.attached {
		ctx.Send(h.bridge, &DetachRequest{ConnID: h.id})
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	h.conn.Close()
	if h.out != nil {
		close(h.out)
		h.out = nil
	}
}
