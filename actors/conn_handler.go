package actors

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/protocol"
	"github.com/pglite-go/pglite/session"
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

	sess      *session.Session // once attached
	output    *clientOutput
	reader    socket.ReadWaker // the reader's conn, when it polls (socket.SpinReads)
	gone      chan struct{}
	goneOnce  sync.Once
	closing   bool
	timer     *time.Timer
	cancelKey []byte
}

func newConnHandler(cfg *Config, id uint64, conn net.Conn, bridge, router *actor.PID, overLimit bool) actor.Actor {
	return &connHandler{cfg: cfg, id: id, conn: conn, bridge: bridge, router: router, overLimit: overLimit,
		log:  cfg.Logger.With().Str("component", "conn").Uint64("conn_id", id).Str("remote_addr", conn.RemoteAddr().String()).Logger(),
		gone: make(chan struct{})}
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
		if h.sess == nil {
			h.fatal(ctx, protocol.CannotConnectNow(""))
		}
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
// Negotiate stops at the startup packet; authorize (auth.go) then applies pg_hba.conf.
func (h *connHandler) startHandshake(ctx actor.Context) {
	self, system := ctx.Self(), ctx.ActorSystem()
	hc := socket.HandshakeConfig{TLS: h.cfg.TLS, Timeout: h.cfg.StartupTimeout}
	conn, cfg, bridge, router, over, log := h.conn, h.cfg, h.bridge, h.router, h.overLimit, h.log
	go func() {
		deadline := time.Now().Add(cfg.StartupTimeout)
		hs, err := socket.Negotiate(conn, hc)
		if err == nil && hs.Startup.Kind != protocol.KindCancel && !over {
			err = authorize(system, cfg, hs, bridge, router, deadline, log)
		}
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
	h.output = newClientOutput(h.conn, h.cfg.ClientReadTimeout)
	self, system := ctx.Self(), ctx.ActorSystem()
	go h.output.run(func(err error) { system.Root.Send(self, &clientGone{err: err}) })
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
		CancelPID: uint32(h.id), CancelKey: key, Client: &clientPort{h: h, system: system, self: self}}
	if h.bridge == nil {
		ctx.Request(h.router, &lookupBridge{Database: db})
	} else {
		ctx.Request(h.bridge, h.attach)
	}
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
		if m.Session != nil {
			m.Session.Detach()
		}
		return
	}
	if m.Fatal != nil {
		h.fatal(ctx, m.Fatal)
		return
	}
	h.sess = m.Session
	var b []byte
	b, _ = (&pgproto3.AuthenticationOk{}).Encode(b)
	for _, p := range m.Params {
		b, _ = (&pgproto3.ParameterStatus{Name: p[0], Value: p[1]}).Encode(b)
	}
	b = appendBackendKey(b, uint32(h.id), h.cancelKey)
	b, _ = (&pgproto3.ReadyForQuery{TxStatus: 'I'}).Encode(b)
	h.write(outItem{data: b})
	h.startReader(ctx.ActorSystem(), ctx.Self(), h.sess)
}

// appendBackendKey encodes BackendKeyData with a key of any length (protocol 3.2 allows up
// to 256 bytes).
func appendBackendKey(b []byte, pid uint32, key []byte) []byte {
	b = append(b, 'K')
	b = binary.BigEndian.AppendUint32(b, uint32(8+len(key)))
	b = binary.BigEndian.AppendUint32(b, pid)
	return append(b, key...)
}

func (h *connHandler) write(item outItem) {
	if h.output == nil || h.closing {
		return
	}
	if !h.output.post(item) {
		h.log.Warn().Msg("client is not reading; dropping it")
		h.stopSession()
	}
}

// fatal sends a final error and closes.
func (h *connHandler) fatal(ctx actor.Context, msg []byte) {
	if h.closing {
		return
	}
	if h.output == nil {
		_, _ = h.conn.Write(msg)
		ctx.Stop(ctx.Self())
		return
	}
	h.write(outItem{data: msg, final: true})
	h.stopSession()
}

// stopSession marks the handler closing and makes its reader drop what the client sends.
func (h *connHandler) stopSession() {
	h.closing = true
	if h.sess != nil {
		h.sess.Stop()
	}
}

// shutdown closes the socket and tells the Bridge the session is gone.
func (h *connHandler) shutdown(ctx actor.Context) {
	h.stopSession()
	h.goneOnce.Do(func() { close(h.gone) })
	if h.sess != nil {
		h.sess.Detach()
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	h.conn.Close()
	if h.output != nil {
		h.output.close()
	}
}
