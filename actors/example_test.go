package actors_test

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
)

// reporter is a host application's actor that asks the database for data.
type reporter struct {
	bridge *actor.PID
	done   chan<- string
}

func (r *reporter) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case string: // a command from the host app: run this SQL
		ctx.Request(r.bridge, &actors.QueryRequest{SQL: m, Args: []any{3}})
	case *actors.QueryReply:
		if m.Err != nil {
			r.done <- m.Err.Error()
			return
		}
		r.done <- fmt.Sprintf("%v %v", m.Columns, m.Rows)
	}
}

// Example_embed spawns the database tree into a host application's actor system and queries
// it from one of the host's actors, without a socket.
func Example_embed() {
	system := actors.NewSystem(zerolog.Nop()) // protoactor logs through zerolog
	defer system.Shutdown()
	h, err := actors.Start(context.Background(), system, actors.Config{
		Logger: zerolog.Nop(), // no ListenAddr or SocketDir: no port is opened
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = h.Stop(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan string, 1)
	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &reporter{bridge: h.Bridge(), done: done} }))
	system.Root.Send(pid, "select n, n * n as square from generate_series(1, $1::int) n")
	fmt.Println(<-done)
	// Output: [n square] [[1 1] [2 4] [3 9]]
}
