import { vi } from 'vitest'
import { Redis } from '@upstash/redis'

/** Where an endpoint listens and its token (the run's shared one, or a private stack's). */
export interface Target {
  UPSTASH_REDIS_REST_URL: string
  UPSTASH_REDIS_REST_TOKEN: string
}

/** The real @upstash/redis client against `target`, no telemetry, no retries (a failure shows at once). */
export function upstash(target: Target, options: { autoPipelining?: boolean; deserialize?: boolean } = {}): Redis {
  return new Redis({
    url: target.UPSTASH_REDIS_REST_URL,
    token: target.UPSTASH_REDIS_REST_TOKEN,
    enableTelemetry: false,
    enableAutoPipelining: options.autoPipelining ?? false,
    automaticDeserialization: options.deserialize ?? true,
    retry: false,
  })
}

export interface RawAnswer {
  status: number
  headers: Headers
  /** The body parsed as JSON (undefined if it is not JSON). */
  json: unknown
  text: string
}

/**
 * A raw HTTP request to the endpoint. `auth` defaults to the right Bearer token; pass `false` for
 * none or a string for another Authorization header value.
 */
export async function raw(
  target: Target,
  path: string,
  init: {
    method?: string
    /** A string, bytes, or a stream (sent chunked, without Content-Length). */
    body?: string | Uint8Array | ReadableStream<Uint8Array>
    headers?: Record<string, string>
    auth?: string | false
    signal?: AbortSignal
  } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...init.headers }
  const auth = init.auth ?? `Bearer ${target.UPSTASH_REDIS_REST_TOKEN}`
  if (auth !== false) headers.authorization = auth
  const res = await fetch(`${target.UPSTASH_REDIS_REST_URL}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body as BodyInit | undefined,
    signal: init.signal,
    // Required by fetch for a stream body.
    ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, json, text }
}

/** POST / with a JSON command. */
export function command(target: Target, args: unknown[], headers?: Record<string, string>): Promise<RawAnswer> {
  return raw(target, '/', { body: JSON.stringify(args), headers })
}

export const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64')

/** Polls `check` (vi.waitFor) every `everyMs` until it returns true; fails after `withinMs`. For state that changes asynchronously. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  withinMs = 5_000,
  everyMs = 20,
): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`condition not met within ${withinMs} ms`)
    },
    { timeout: withinMs, interval: everyMs },
  )
}
