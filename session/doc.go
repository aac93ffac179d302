// Package session multiplexes many PostgreSQL clients onto one single-user backend, so that
// each client sees the server it would see alone.
//
// A Backend owns a bridge.Instance and grants it to one Session at a time (the lease). A
// Session is one client: it rewrites the client's messages into a namespace of its own and
// queues them; the Backend runs them in turn. The isolation contract, rule by rule:
//
//   - The lease. A client holds the backend from its first message until a ReadyForQuery
//     with status I ends its output and it has nothing more queued: an open or failed
//     transaction and an extended-protocol pipeline before Sync keep it. Others queue FIFO.
//   - Names. Prepared statements and portals, named and unnamed, are private to a client
//     (protocol.Namer); error texts name them as the client did.
//   - Settings. A client's startup options are its reset values, its login role is its
//     session authorization, and its SETs are its own: the backend gets all three back
//     whenever it passes to a client whose state differs (settings.go). The server never
//     runs a statement of its own inside a client's transaction.
//   - LISTEN. The backend listens on the union of the clients' channels; a notification
//     reaches exactly the clients that listen on its channel (listen.go).
//   - Cleanup. A client that leaves has its pipeline ended, its transaction rolled back, its
//     statements, subscriptions and temporary objects dropped; the last one to leave takes
//     everything with DISCARD ALL (cleanup.go).
//   - Cancel. A CancelRequest stops the running query only when its key's session runs it.
//   - Failure. A batch that breaks the instance ends every session with FATAL XX000, and the
//     owner is told (Config.Broken); no client message ends another client's session.
//
// Where a query runs: the goroutine that read it, when the backend is free (Session.Serve
// calls into the Backend and runs the batch right there, so the usual query needs no
// goroutine hand-off). While that goroutine runs a batch it does not read its socket, so it
// runs at most one batch of another client in a row (the one that passes the backend on);
// anything after that goes to the Backend's own goroutine, which runs the queue back to
// back under contention.
package session
