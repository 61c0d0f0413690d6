import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { EndpointError } from './errors'
import type { EndpointConfig } from './options'
import { BodyWatch, readBody, type InflightBudget } from './request'

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1'])

/** Routes whose body is a list of commands: their commands are counted while the body streams in. */
export const LIST_ROUTES = new Set(['/pipeline', '/multi-exec'])

/** A request let through the gate: who may call was checked and its whole body is read. */
export interface Admitted {
  method: 'GET' | 'POST'
  /** The path without its query string or a trailing slash. */
  path: string
  /** `Upstash-Encoding: base64`: every string of the answer is base64 of its bytes. */
  base64: boolean
  body: Buffer
}

export type GateOptions = Pick<
  EndpointConfig,
  'token' | 'host' | 'allowOrigins' | 'maxBodyBytes' | 'maxCommands' | 'bodyTimeoutMs' | 'minBodyRate'
>

/**
 * What a request passes before anything reaches Redis: the caller (no web page, no foreign Host, the
 * token), the method, and the body's limits (size, command count, in-flight bytes, arrival rate).
 * Each refusal is an EndpointError with its status: 403, 401, 405, 413, 503 or 408.
 */
export class Gate {
  private readonly tokenDigest: Buffer
  private readonly loopback: boolean
  private readonly bodyWatch: BodyWatch

  constructor(
    private readonly opts: GateOptions,
    private readonly budget: InflightBudget,
  ) {
    this.tokenDigest = createHash('sha256').update(opts.token).digest()
    this.loopback = LOOPBACK_HOSTS.has(opts.host)
    this.bodyWatch = new BodyWatch(opts.bodyTimeoutMs, opts.minBodyRate)
  }

  /** The request, admitted with its body; `held` counts the body's bytes reserved in the in-flight budget. */
  async admit(req: IncomingMessage, held: { bytes: number }): Promise<Admitted> {
    const refused = this.foreignCaller(req)
    if (refused) throw new EndpointError(403, refused)
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    let path = q === -1 ? rawUrl : rawUrl.slice(0, q)
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
    if (!this.authorized(req, q === -1 ? undefined : rawUrl.slice(q + 1))) {
      throw new EndpointError(401, 'Unauthorized: send "Authorization: Bearer <token>" or ?_token=<token>')
    }
    const method = req.method
    if (method !== 'GET' && method !== 'POST') {
      throw new EndpointError(405, `method ${method} is not allowed; use GET or POST`, ['allow', 'GET, POST'])
    }
    const base64 = req.headers['upstash-encoding'] === 'base64'
    const body = await readBody(req, {
      maxBytes: this.opts.maxBodyBytes,
      budget: this.budget,
      held,
      maxCommands: LIST_ROUTES.has(path) ? this.opts.maxCommands : undefined,
      watch: this.bodyWatch,
    })
    return { method, path, base64, body }
  }

  close(): void {
    this.bodyWatch.close()
  }

  /**
   * Why a request must be refused before anything else, or undefined. A web page (it sends `Origin`,
   * or `Sec-Fetch-Site: cross-site`) may not use the endpoint unless its origin is allowed; a foreign
   * `Host` on a loopback-bound endpoint is a DNS-rebinding page reaching it through the browser.
   */
  private foreignCaller(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin
    const allowed = origin !== undefined && this.opts.allowOrigins.includes(origin)
    if ((origin !== undefined || req.headers['sec-fetch-site'] === 'cross-site') && !allowed) {
      return 'Forbidden: requests from web pages are refused (start the endpoint with --allow-origin <origin> to allow one)'
    }
    if (this.loopback) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
      if (!LOOPBACK_HOSTS.has(host))
        return 'Forbidden: this endpoint only answers requests addressed to a loopback name (Host)'
    }
    return undefined
  }

  /** Bearer header or ?_token=, compared in constant time on fixed-length digests. */
  private authorized(req: IncomingMessage, query: string | undefined): boolean {
    const header = req.headers.authorization
    let given: string | null = null
    if (header !== undefined && header.startsWith('Bearer ')) given = header.slice(7)
    else if (query !== undefined) given = new URLSearchParams(query).get('_token')
    if (given === null) return false
    return timingSafeEqual(createHash('sha256').update(given).digest(), this.tokenDigest)
  }
}
