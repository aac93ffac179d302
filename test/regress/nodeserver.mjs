// nodeserver.mjs serves PGlite (the npm package, on Node) on a Unix socket with
// @electric-sql/pglite-socket, for the regression runner's -server node (see node.go). It is
// the reference the runner compares pglited with: the same PostgreSQL build, hosted the way
// PGlite's own users host it.
//
//   node nodeserver.mjs [--copy-in] <data-dir> <socket-path>
//
// The database lives in <data-dir> on the host (PGlite's Node filesystem), not in memory, for
// the reasons the runner keeps pglited's on disk: the settings the runner gives with ALTER
// SYSTEM take effect when the backend starts, so it sets them and starts this script again
// on the same files; and server-side COPY ... TO :'abs_builddir/results/...' must land
// somewhere the server can read back.
//
// Settings: the runner gives them with ALTER SYSTEM over the socket and starts the script again,
// since PGlite's constructor takes no -c, and its backend applies neither ALTER DATABASE ...
// SET nor a startup packet's options (see nodeSettings in node.go).
//
// It prints "listening <path>" on stdout once psql can connect, and on SIGINT or SIGTERM
// stops the server, closes the database (a clean shutdown, with its checkpoint) and exits 0.
// Exit status 3: PGlite failed while serving a client (see below).
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { rmSync } from 'node:fs';

const argv = process.argv.slice(2);
const copyIn = argv[0] === '--copy-in';
if (copyIn) argv.shift();
const [dataDir, socketPath, ...rest] = argv;
if (!dataDir || !socketPath || rest.length > 0) {
  console.error('usage: node nodeserver.mjs [--copy-in] <data-dir> <socket-path>');
  process.exit(2);
}

const db = await PGlite.create({ dataDir });

// When PGlite itself throws while it runs a client's messages (a trap in the WebAssembly, a
// closed database), pglite-socket 0.2.17 only logs it and its query queue stops for good,
// so every later client would hang. Exit instead: the runner counts that as a restart and
// starts the script again on the same files, as it does when pglited gives up.
const exec = db.execProtocolRawStream.bind(db);
async function guarded(message, opts) {
  try {
    return await exec(message, opts);
  } catch (e) {
    console.error('nodeserver: PGlite failed, exiting:', e);
    process.exit(3);
  }
}
db.execProtocolRawStream = copyIn ? copyInStream : guarded;

// --copy-in works around pglite-socket 0.2.17's COPY ... FROM STDIN, which cannot work: it
// hands PGlite one wire message per call, and PGlite, which reads a call's input to its end,
// finds none after the Query, fails the COPY ("unexpected EOF on client connection with an
// open transaction"), loses protocol synchronisation and leaves bytes that break the next
// client's startup (electric-sql/pglite issue 911; pull request 1028 proposes a fix along
// these lines). Without the flag the server is pglite-socket as released; with it, a Query
// that is a COPY FROM STDIN is answered at once with a CopyInResponse of our own, the
// client's CopyData messages are held until its CopyDone or CopyFail, and the whole sequence
// goes to PGlite in one call, whose own CopyInResponse is then left out of the reply.
let held = null; // the messages of a COPY FROM STDIN in progress, from its Query on

function isCopyFromStdin(message) {
  if (message[0] !== 0x51) return false; // 'Q'
  let sql = Buffer.from(message.subarray(5)).toString('utf8');
  sql = sql.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  return /^copy\s/i.test(sql) && /\sfrom\s+stdin\b/i.test(sql);
}

// withoutCopyInResponse drops the first CopyInResponse ('G') from a run of backend messages.
function withoutCopyInResponse(bytes) {
  const out = [];
  let dropped = false;
  for (let i = 0; i + 5 <= bytes.length; ) {
    const len = 1 + bytes.readInt32BE(i + 1);
    if (bytes[i] === 0x47 && !dropped) dropped = true;
    else out.push(bytes.subarray(i, i + len));
    i += len;
  }
  return Buffer.concat(out);
}

async function copyInStream(message, opts) {
  const m = Buffer.from(message);
  if (held !== null && m.length >= 8 && m.readInt32BE(4) === 196608) held = null; // a new client's startup
  if (held === null) {
    if (!isCopyFromStdin(m)) return guarded(message, opts);
    held = [m];
    // CopyInResponse: text format, no column formats (psql reads neither).
    const g = Buffer.from([0x47, 0, 0, 0, 7, 0, 0, 0]);
    opts.onRawData(new Uint8Array(g));
    return;
  }
  held.push(m);
  if (m[0] === 0x64) return; // 'd' CopyData: hold it
  // CopyDone ('c'), CopyFail ('f'), or anything else (which ends the COPY on a real server
  // too): send it all.
  const all = Buffer.concat(held);
  held = null;
  const chunks = [];
  await guarded(new Uint8Array(all), { ...opts, onRawData: (d) => chunks.push(Buffer.from(d)) });
  const reply = withoutCopyInResponse(Buffer.concat(chunks));
  if (reply.length > 0) opts.onRawData(new Uint8Array(reply));
}

rmSync(socketPath, { force: true }); // left by a run that was killed
const server = new PGLiteSocketServer({ db, path: socketPath });
server.addEventListener('error', (e) => console.error('nodeserver: server error:', e.detail));
await server.start();
console.log(`listening ${socketPath}`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
    await db.close();
  } catch (e) {
    console.error('nodeserver: shutdown:', e);
    process.exit(1);
  }
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
