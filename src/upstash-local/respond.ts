import type { ServerResponse } from 'node:http'

/** The client echoes this back for read-your-writes; one endpoint in front of one Redis is always consistent. */
let syncToken = 0

/** The `upstash-sync-token` every answer carries, streams included. */
export function nextSyncToken(): string {
  return String(++syncToken)
}

/** Writes a JSON answer; `json` is already serialised. Headers as a flat array: the cheapest form for node:http. */
export function send(res: ServerResponse, status: number, json: string, extra?: readonly string[]): void {
  // prettier-ignore
  const headers = [
    'content-type', 'application/json',
    'content-length', String(Buffer.byteLength(json)),
    'upstash-sync-token', nextSyncToken(),
  ]
  if (extra) headers.push(...extra)
  res.writeHead(status, headers)
  res.end(json)
}
