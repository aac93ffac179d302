// driver.mjs runs PGlite (the npm package, on Node) for the differential tester in this
// folder. It reads one JSON request per line on stdin and writes one JSON reply per line on
// file descriptor 3, so that anything PGlite or PostgreSQL prints on stdout or stderr cannot
// get mixed into the replies.
//
// Requests:
//   {"op":"open"}             a fresh in-memory database (the first one runs initdb; later
//                             ones start from a copy of that first cluster, as it was right
//                             after initdb, so they do not pay for initdb again), then a
//                             session started by a startup packet (user and database
//                             postgres), as a wire-protocol server such as pglite-socket
//                             starts one; the reply's "raw" holds the backend's answer
//   {"op":"open","startup":false}  the same without the startup packet: the session that
//                             PGlite's own query API uses
//   {"op":"query","sql":S}    S as one simple-protocol Query message; the reply holds the
//                             backend's answer, byte for byte, in base64 ("raw")
//   {"op":"close"}            close the database
// Every reply has "ok" (true or false); a failure has "error", the JavaScript exception.
import { PGlite } from '@electric-sql/pglite';
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

let db = null;
let pristine = null; // the data directory of the first database, right after create()

function reply(obj) {
  writeSync(3, JSON.stringify(obj) + '\n');
}

function log(text) {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  return true;
}

// startupMessage frames a protocol 3.0 startup packet with the given parameters.
function startupMessage(params) {
  const body = [];
  for (const [k, v] of Object.entries(params)) body.push(k, '\0', v, '\0');
  body.push('\0');
  const text = Buffer.from(body.join(''), 'utf8');
  const msg = Buffer.alloc(8 + text.length);
  msg.writeInt32BE(msg.length, 0);
  msg.writeInt32BE(196608, 4);
  text.copy(msg, 8);
  return msg;
}

// queryMessage frames sql as a frontend Query message: 'Q', int32 length, text, NUL.
function queryMessage(sql) {
  const text = Buffer.from(sql, 'utf8');
  const msg = Buffer.alloc(1 + 4 + text.length + 1);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + text.length + 1, 1);
  text.copy(msg, 5);
  return msg;
}

async function open() {
  if (db) await db.close();
  const opts = { onStdout: log, onStderr: log };
  if (pristine) {
    db = await PGlite.create({ ...opts, loadDataDir: pristine });
    return;
  }
  db = await PGlite.create(opts);
  pristine = await db.dumpDataDir('none');
  // The dump is taken from the live cluster; start over from it, so that the first database
  // and every later one begin from the same files.
  await db.close();
  db = await PGlite.create({ ...opts, loadDataDir: pristine });
}

async function handle(req) {
  switch (req.op) {
    case 'open': {
      const t = Date.now();
      await open();
      let raw = new Uint8Array();
      if (req.startup !== false) {
        raw = await db.execProtocolRaw(startupMessage({ user: 'postgres', database: 'postgres' }), { syncToFs: false });
      }
      return { ok: true, ms: Date.now() - t, raw: Buffer.from(raw).toString('base64') };
    }
    case 'query': {
      if (!db) throw new Error('no database: send {"op":"open"} first');
      const raw = await db.execProtocolRaw(queryMessage(req.sql), { syncToFs: false });
      return { ok: true, raw: Buffer.from(raw).toString('base64') };
    }
    case 'close':
      if (db) await db.close();
      db = null;
      return { ok: true };
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  try {
    reply(await handle(JSON.parse(line)));
  } catch (e) {
    reply({ ok: false, error: String(e && e.stack ? e.stack : e) });
  }
}
if (db) await db.close();
