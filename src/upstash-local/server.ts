import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { failureAnswer } from './errors'
import { Executor } from './executor'
import { Gate } from './gate'
import { endpointOptionsSchema, type EndpointOptions } from './options'
import type { OwnRedisServer } from './redis-server'
import { errorJson } from './reply'
import { InflightBudget } from './request'
import { send } from './respond'
import { Router } from './router'

/** A running endpoint: where it listens, and how to stop it. */
export interface RunningEndpoint {
  /** Base URL to give `@upstash/redis` as `url` (UPSTASH_REDIS_REST_URL). */
  url: string
  token: string
  port: number
  /** Dedicated Redis connections in use (blocked commands, subscriptions); 0 when idle. */
  readonly busyConnections: number
  /** Stops accepting requests, ends open streams and blocked commands, closes every Redis connection. */
  close(): Promise<void>
}

/**
 * Starts the Upstash-compatible REST endpoint in this process. A request goes gate (caller, token,
 * body limits) → router (which route, which commands) → executor (Redis); any failure on the way
 * becomes its HTTP answer in one place (errors.ts).
 * Throws (with a message naming the field) when an option is invalid, or when the port is taken.
 */
export async function startEndpoint(
  input: EndpointOptions,
  owned: { ownRedis?: OwnRedisServer } = {},
): Promise<RunningEndpoint> {
  const parsed = endpointOptionsSchema.safeParse(input)
  if (!parsed.success) throw new Error(`invalid endpoint options:\n${z.prettifyError(parsed.error)}`)
  const opts = parsed.data
  const budget = new InflightBudget(opts.maxInflightBytes)
  const gate = new Gate(opts, budget)
  const executor = new Executor(opts, budget, owned.ownRedis)
  const router = new Router(executor, opts.maxCommands)
  await executor.connect()

  /** Gives back what a request held in the in-flight budget: a large answer once it has left (or the caller went away). */
  function releaseWhenSent(res: ServerResponse, held: { bytes: number }): void {
    if (held.bytes === 0) return
    if (held.bytes < 64 * 1024 || res.closed) budget.release(held.bytes)
    else res.once('close', () => budget.release(held.bytes))
  }

  async function handle(req: IncomingMessage, res: ServerResponse, held: { bytes: number }): Promise<void> {
    const answer = await router.route(await gate.admit(req, held), res, held)
    if (answer) send(res, answer.status, answer.json)
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    if (opts.verbose) logWhenDone(req, res)
    const held = { bytes: 0 }
    handle(req, res, held).then(
      () => releaseWhenSent(res, held),
      (err: unknown) => {
        fail(res, err)
        releaseWhenSent(res, held)
      },
    )
  })
  // Longer than clients' idle timeout (undici: 4 s), so the client, not the server, closes idle connections.
  server.keepAliveTimeout = 65_000

  const closeRest = () => {
    executor.close()
    gate.close()
  }
  try {
    await listen(server, opts.port, opts.host)
  } catch (err) {
    // e.g. EADDRINUSE: leave no Redis connection behind.
    closeRest()
    throw err
  }
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host

  return {
    url: `http://${host}:${port}`,
    token: opts.token,
    port,
    get busyConnections() {
      return executor.busyConnections
    },
    async close() {
      executor.stopDedicated()
      await drain(server, opts.timeoutMs)
      closeRest()
    },
  }
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Stops accepting connections and waits for the open ones. Keep-alive connections become idle as their
 * last answers go out (the 503s of the blocked commands just dropped, the ended streams): each is closed
 * as soon as it is. In-flight requests are bounded by the request timeout; past `graceMs`, they are cut.
 */
async function drain(server: ReturnType<typeof createServer>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  const sweep = setInterval(() => server.closeIdleConnections(), 10)
  const grace = setTimeout(() => server.closeAllConnections(), graceMs)
  await closed
  clearInterval(sweep)
  clearTimeout(grace)
}

/** Answers a failed request (errors.ts says with what), or drops it when nobody can read an answer any more. */
function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const answer = failureAnswer(err)
  if (answer.drop) return void res.destroy()
  // Past the drain bound (or a body too slow) the rest of the body is never read: close once answered.
  if (answer.closeAfter) res.once('finish', () => res.socket?.destroy())
  send(res, answer.status, errorJson(answer.message), answer.headers)
}

/**
 * `--verbose`: one line per request once answered, with the route's shape only: never the query
 * string (it may hold ?_token=), headers, or a path-style command's arguments (keys can be session ids).
 */
function logWhenDone(req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now()
  res.once('close', () => {
    const path = (req.url ?? '/').split('?')[0]!
    const [, first = '', ...rest] = path.split('/')
    const route = ['', 'pipeline', 'multi-exec'].includes(first)
      ? `/${first}`
      : `/${first.slice(0, 32)}${rest.length ? '/…' : ''}`
    console.log(`${req.method} ${route} ${res.statusCode} ${(performance.now() - started).toFixed(2)}ms`)
  })
}
