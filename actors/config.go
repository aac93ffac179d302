package actors

import (
	"crypto/tls"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/socket"
)

// Config configures the actor tree. The zero value serves an in-memory database with trust
// authentication to in-process clients only (ServeConn): an embedder opens no port unless
// it asks for one with ListenAddr or SocketDir.
type Config struct {
	// Bridge configures the PostgreSQL instance.
	Bridge bridge.Config
	// ListenAddr is the TCP host to listen on, such as "127.0.0.1" or "::1". Empty means no
	// TCP listener.
	ListenAddr string
	// Port is the TCP port (0: a free one) and the number in the Unix socket's name (0: the
	// TCP port chosen, or 5432 without TCP, as PostgreSQL names its socket).
	Port int
	// SocketDir holds the Unix socket .s.PGSQL.<port> (empty: no Unix socket).
	SocketDir string
	// MaxConnections bounds concurrent clients (default 100); more get FATAL 53300.
	MaxConnections int
	// Password enables authentication (SCRAM-SHA-256 unless Auth says otherwise).
	Password string
	Auth     socket.AuthMethod
	// TLS enables SSL for clients that ask.
	TLS *tls.Config
	// IdleInTransactionTimeout ends sessions idle inside a transaction (default 60s;
	// negative disables).
	IdleInTransactionTimeout time.Duration
	// ClientReadTimeout ends a session whose client stops reading a result for this long
	// while it holds the backend (default 60s): it would stall every other client.
	ClientReadTimeout time.Duration
	// ReadSpin is how long a client's reader polls its socket for the next query after a
	// result, while the backend would run it at once, before it sleeps (socket.SpinReads;
	// default 30µs; negative disables). It saves a wake-up per query on a fast client.
	ReadSpin time.Duration
	// StartupTimeout bounds authentication and, during a Bridge restart, the wait for it.
	StartupTimeout time.Duration
	// ShutdownTimeout is how long a running query may finish during Stop (default 10s).
	ShutdownTimeout time.Duration
	// MemoryHighWater is the linear memory above which an instance is recycled (shut down
	// and booted again from its files, which gives the memory back) once no client is
	// attached and it has been idle for RecycleDelay. 0 means four times the memory after
	// boot (512 MiB by default), or halfway to Bridge.MaxMemory when that is lower.
	MemoryHighWater uint64
	// RecycleDelay is how long the instance must be idle before a recycle (default 5s;
	// negative disables recycling).
	RecycleDelay time.Duration
	// MaxRestarts within RestartWindow before the Supervisor gives up (default 5 in 30s).
	MaxRestarts   int
	RestartWindow time.Duration
	// Logger receives structured logs. Zero value: none.
	Logger zerolog.Logger

	// Databases enables serving several databases by name.
	Databases DatabasesConfig

	metrics   *Metrics
	routeName string // the database name clients use for this Bridge

	// hba holds the pg_hba.conf rules of every database (auth.go).
	hba *hbaStore
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.MaxConnections <= 0 {
		out.MaxConnections = 100
	}
	if out.IdleInTransactionTimeout == 0 {
		out.IdleInTransactionTimeout = 60 * time.Second
	}
	if out.IdleInTransactionTimeout < 0 {
		out.IdleInTransactionTimeout = 0
	}
	if out.ReadSpin == 0 {
		out.ReadSpin = defaultReadSpin
	}
	if out.ClientReadTimeout <= 0 {
		out.ClientReadTimeout = 60 * time.Second
	}
	if out.StartupTimeout <= 0 {
		out.StartupTimeout = 30 * time.Second
	}
	if out.ShutdownTimeout <= 0 {
		out.ShutdownTimeout = 10 * time.Second
	}
	if out.MaxRestarts <= 0 {
		out.MaxRestarts = 5
	}
	if out.RestartWindow <= 0 {
		out.RestartWindow = 30 * time.Second
	}
	if out.Password != "" && out.Auth == socket.AuthTrust {
		out.Auth = socket.AuthSCRAM
	}
	return out
}

func (c *Config) database() string {
	if c.Bridge.Database == "" {
		return "postgres"
	}
	return c.Bridge.Database
}

// defaultReadSpin covers a client on the same machine that sends its next query straight
// after a result (pgbench spends 7-11 µs per transaction of its own); a slower client
// costs the window once per result.
const defaultReadSpin = 30 * time.Microsecond
