import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'

/**
 * A stand-in for a libSQL server (sqld, what Turso runs), so the app's remote database path runs
 * for real here, where no Turso is reachable: `@libsql/client/web` → HTTP → this server → an SQLite
 * file. It speaks Hrana 2 over HTTP (`POST /v2/pipeline`, JSON), the protocol the client falls back
 * to when `GET /v3-protobuf` answers 404 (sqld speaks both), with what the client sends: execute,
 * batch (with conditions), sequence, get_autocommit, close. Errors carry SQLite's extended code
 * name and message, as sqld's do. Bearer-token auth like Turso's: a wrong or missing token → 401.
 *
 * Deliberately small: one connection shared by every stream (a stream that opens a transaction
 * holds the others back until it ends, which is what a single-writer SQLite does anyway);
 * positional arguments only. Like sqld, a stream idle for STREAM_IDLE_MS is dropped and its open
 * transaction rolled back (a client that died mid-transaction does not hold the database forever).
 */

const STREAM_IDLE_MS = 5000

type HranaValue =
  | { type: 'null' }
  | { type: 'integer'; value: string }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'blob'; base64: string }
type Stmt = { sql?: string; sql_id?: number; args?: HranaValue[]; named_args?: unknown[]; want_rows?: boolean }
type Condition =
  | { type: 'ok' | 'error'; step: number }
  | { type: 'not'; cond: Condition }
  | { type: 'and' | 'or'; conds: Condition[] }
  | { type: 'is_autocommit' }
type StreamRequest =
  | { type: 'close' }
  | { type: 'execute'; stmt: Stmt }
  | { type: 'batch'; batch: { steps: { condition?: Condition | null; stmt: Stmt }[] } }
  | { type: 'sequence'; sql?: string; sql_id?: number }
  | { type: 'store_sql'; sql_id: number; sql: string }
  | { type: 'close_sql'; sql_id: number }
  | { type: 'get_autocommit' }
  | { type: string }

export interface HranaServer {
  url: string
  /** Every pipeline request's Authorization header, in order (what the client really sent). */
  authorizations: (string | undefined)[]
  close(): Promise<void>
}

class HranaError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

function decode(v: HranaValue): unknown {
  switch (v.type) {
    case 'null':
      return null
    case 'integer':
      return BigInt(v.value)
    case 'float':
      return v.value
    case 'text':
      return v.value
    case 'blob':
      return Buffer.from(v.base64, 'base64')
  }
}

function encode(v: unknown): HranaValue {
  if (v === null || v === undefined) return { type: 'null' }
  if (typeof v === 'bigint') return { type: 'integer', value: v.toString() }
  if (typeof v === 'number') return { type: 'float', value: v }
  if (typeof v === 'string') return { type: 'text', value: v }
  if (Buffer.isBuffer(v)) return { type: 'blob', base64: v.toString('base64') }
  throw new Error(`cannot encode ${typeof v}`)
}

/** Starts the server on a free port of 127.0.0.1 in front of the SQLite file `file`; `token` is the one it accepts. */
export async function startHranaServer(
  file: string,
  token: string,
  options: { primaryCodes?: boolean } = {},
): Promise<HranaServer> {
  const db = new Database(file)
  db.pragma('foreign_keys = ON')
  const authorizations: (string | undefined)[] = []
  /** Open streams (baton → id), each stream's stored SQL; the stream whose transaction is open, and those waiting for it to end. */
  const streams = new Map<string, string>()
  const storedSql = new Map<string, Map<number, string>>()
  let owner: string | undefined
  let ownerIdle: NodeJS.Timeout | undefined
  const waiters: (() => void)[] = []
  const release = () => {
    for (const w of waiters.splice(0)) w()
  }

  function sqlOf(stream: string, sql: string | undefined, id: number | undefined): string {
    const text = sql ?? (id !== undefined ? storedSql.get(stream)?.get(id) : undefined)
    if (text === undefined) throw new HranaError(`no SQL text (sql_id ${id} not stored)`, 'SQL_NOT_FOUND')
    return text
  }

  function execute(stmt: Stmt, stream: string) {
    if (stmt.named_args?.length)
      throw new HranaError('named arguments are not supported by this test server', 'UNSUPPORTED')
    const args = (stmt.args ?? []).map(decode)
    const sql = sqlOf(stream, stmt.sql, stmt.sql_id)
    try {
      const s = db.prepare(sql).safeIntegers(true)
      if (s.reader) {
        const cols = s.columns().map((c) => ({ name: c.name, decltype: c.type }))
        const rows = (s.raw(true).all(...args) as unknown[][]).map((r) => r.map(encode))
        const changes = s.readonly
          ? 0
          : Number((db.prepare('SELECT changes()').pluck().safeIntegers(true).get() as bigint) ?? 0n)
        return { cols, rows, affected_row_count: changes, last_insert_rowid: null }
      }
      const r = s.run(...args)
      return { cols: [], rows: [], affected_row_count: r.changes, last_insert_rowid: String(r.lastInsertRowid) }
    } catch (err) {
      throw toHranaError(err)
    }
  }

  function toHranaError(err: unknown): HranaError {
    if (err instanceof HranaError) return err
    const e = err as { message: string; code?: string }
    // sqld's message form: "SQLite error: <sqlite's message>", code = the extended result code's name
    // (`primaryCodes`: only the primary one, SQLITE_CONSTRAINT for SQLITE_CONSTRAINT_UNIQUE, as some servers send).
    const code = e.code ?? 'SQLITE_ERROR'
    return new HranaError(
      `SQLite error: ${e.message}`,
      options.primaryCodes ? code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1') : code,
    )
  }

  function holds(cond: Condition, results: (unknown | null)[], errors: (unknown | null)[]): boolean {
    switch (cond.type) {
      case 'ok':
        return results[cond.step] != null
      case 'error':
        return errors[cond.step] != null
      case 'not':
        return !holds(cond.cond, results, errors)
      case 'and':
        return cond.conds.every((c) => holds(c, results, errors))
      case 'or':
        return cond.conds.some((c) => holds(c, results, errors))
      case 'is_autocommit':
        return !db.inTransaction
    }
  }

  function handle(req: StreamRequest, stream: string): { type: string; [k: string]: unknown } {
    switch (req.type) {
      case 'close':
        return { type: 'close' }
      case 'execute':
        return { type: 'execute', result: execute((req as { stmt: Stmt }).stmt, stream) }
      case 'store_sql': {
        const r = req as { sql_id: number; sql: string }
        if (!storedSql.has(stream)) storedSql.set(stream, new Map())
        storedSql.get(stream)!.set(r.sql_id, r.sql)
        return { type: 'store_sql' }
      }
      case 'close_sql':
        storedSql.get(stream)?.delete((req as { sql_id: number }).sql_id)
        return { type: 'close_sql' }
      case 'sequence':
        try {
          const r = req as { sql?: string; sql_id?: number }
          db.exec(sqlOf(stream, r.sql, r.sql_id))
        } catch (err) {
          throw toHranaError(err)
        }
        return { type: 'sequence' }
      case 'get_autocommit':
        return { type: 'get_autocommit', is_autocommit: !db.inTransaction }
      case 'batch': {
        const steps = (req as { batch: { steps: { condition?: Condition | null; stmt: Stmt }[] } }).batch.steps
        const results: unknown[] = []
        const errors: unknown[] = []
        for (const step of steps) {
          if (step.condition && !holds(step.condition, results, errors)) {
            results.push(null)
            errors.push(null)
            continue
          }
          try {
            results.push(execute(step.stmt, stream))
            errors.push(null)
          } catch (err) {
            const e = toHranaError(err)
            results.push(null)
            errors.push({ message: e.message, code: e.code })
          }
        }
        return { type: 'batch', result: { step_results: results, step_errors: errors } }
      }
      default:
        throw new HranaError(`unsupported request type ${req.type}`, 'UNSUPPORTED')
    }
  }

  async function pipeline(req: IncomingMessage, res: ServerResponse) {
    const auth = req.headers.authorization
    authorizations.push(auth)
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (auth !== `Bearer ${token}`) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'Unauthorized: invalid or missing token' }))
      return
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      baton?: string | null
      requests: StreamRequest[]
    }
    let stream: string
    if (body.baton) {
      const s = streams.get(body.baton)
      if (!s) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unknown baton' }))
        return
      }
      streams.delete(body.baton)
      stream = s
    } else {
      stream = randomUUID()
    }
    // Another stream's transaction is open on the shared connection: wait for it to end.
    while (db.inTransaction && owner !== stream) await new Promise<void>((r) => waiters.push(r))
    if (owner === stream) clearTimeout(ownerIdle)
    const results: unknown[] = []
    let closed = false
    for (const r of body.requests) {
      try {
        results.push({ type: 'ok', response: handle(r, stream) })
      } catch (err) {
        const e = toHranaError(err)
        results.push({ type: 'error', error: { message: e.message, code: e.code } })
      }
      if (r.type === 'close') closed = true
    }
    if (closed && db.inTransaction) db.exec('ROLLBACK') // a closed stream's transaction ends with it, as on sqld
    owner = db.inTransaction ? stream : undefined
    let baton: string | null = null
    if (closed) {
      storedSql.delete(stream)
    } else {
      baton = randomUUID()
      streams.set(baton, stream)
      const held = baton
      if (owner) {
        ownerIdle = setTimeout(() => {
          // Idle too long holding the transaction: the stream is dropped (its baton no longer valid).
          streams.delete(held)
          storedSql.delete(stream)
          if (owner === stream && db.inTransaction) db.exec('ROLLBACK')
          owner = undefined
          release()
        }, STREAM_IDLE_MS)
      }
    }
    if (!owner) release()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ baton, base_url: null, results }))
  }

  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/v2/pipeline') {
      pipeline(req, res).catch((err: Error) => res.writeHead(500).end(JSON.stringify({ error: err.message })))
      return
    }
    // GET /v3-protobuf (the client's version probe) and anything else: 404, so the client speaks Hrana 2.
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        clearTimeout(ownerIdle)
        server.close(() => {
          db.close()
          r()
        })
      }),
  }
}
