/**
 * What the transport said, kept for the error classifier. @upstash/redis turns every non-2xx answer
 * into an error holding only the body's text (`<body.error>, command was: …`) and drops the HTTP
 * status, so a proxy or gateway answering 502/503 with a JSON body of its own (`{"error":"service
 * unavailable"}`) could only be classified by its wording. The client calls the global fetch at each
 * request: for the REST URLs this layer talks to, answers with a status that means "not served"
 * (502, 503) or "no answer in time" (504) are handed to the client with the status written first in
 * the error it will raise (`[HTTP 503] …`), and errors.ts classifies by that status.
 */

const MARK = /^\[HTTP (\d{3})\] /
/** Statuses that say what happened to the command, whoever answered: 502/503 not run, 504 outcome unknown. */
const TRANSPORT_STATUSES = new Set([502, 503, 504])

const INSTALLED = Symbol.for('iapm.redisTransportStatus')
type GlobalWithTransport = typeof globalThis & { [INSTALLED]?: Set<string> }

/** Starts marking answers from `baseUrl` (idempotent; one fetch wrapper per process whatever the number of URLs). */
export function markTransportStatus(baseUrl: string): void {
  const g = globalThis as GlobalWithTransport
  const base = baseUrl.replace(/\/$/, '')
  if (g[INSTALLED]) {
    g[INSTALLED].add(base)
    return
  }
  const bases = new Set([base])
  g[INSTALLED] = bases
  const original = globalThis.fetch
  const marked: typeof fetch = async (input, init) => {
    const response = await original(input, init)
    if (!TRANSPORT_STATUSES.has(response.status)) return response
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (![...bases].some((b) => url === b || url.startsWith(`${b}/`) || url.startsWith(`${b}?`))) return response
    const text = await response.text().catch(() => '')
    let detail = text
    try {
      const error = (JSON.parse(text) as { error?: unknown }).error
      if (typeof error === 'string') detail = error
    } catch {
      // an HTML or plain-text page: kept as text
    }
    return new Response(JSON.stringify({ error: `[HTTP ${response.status}] ${detail.slice(0, 300)}` }), {
      status: response.status,
      statusText: response.statusText,
      headers: { 'content-type': 'application/json' },
    })
  }
  // Keeps the markers frameworks put on fetch (e.g. Next's `__nextPatched`), so nobody wraps it again.
  Object.assign(marked, original)
  globalThis.fetch = marked
}

/** The HTTP status the transport reported for an error of @upstash/redis, when it was one of those marked. */
export function transportStatus(err: unknown): number | undefined {
  if (!(err instanceof Error) || err.name !== 'UpstashError') return undefined
  const m = MARK.exec(err.message)
  return m ? Number(m[1]) : undefined
}
