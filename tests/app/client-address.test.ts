import { once } from 'node:events'
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { guardUpgradeRequests, resolveClientAddress, withClientAddress } from '@/lib/core/client-address'

const resolve = (
  forwardedFor: string | string[] | undefined,
  trustedProxyHops: number,
  socketAddress: string | null = '10.0.0.2',
) => resolveClientAddress({ socketAddress: socketAddress ?? undefined, forwardedFor, trustedProxyHops })

describe('resolveClientAddress', () => {
  it('with 0 hops, is the socket address whatever the header says', () => {
    expect(resolve(undefined, 0)).toBe('10.0.0.2')
    expect(resolve('1.2.3.4', 0)).toBe('10.0.0.2')
    expect(resolve(['1.2.3.4', '5.6.7.8'], 0)).toBe('10.0.0.2')
  })

  it('with 1 hop, is the last entry (what our proxy saw), not the client-written ones before it', () => {
    expect(resolve('203.0.113.7', 1)).toBe('203.0.113.7')
    expect(resolve('1.1.1.1, 9.9.9.9, 203.0.113.7', 1)).toBe('203.0.113.7')
  })

  it('with 2 hops, is the entry before the last', () => {
    expect(resolve('1.1.1.1, 203.0.113.7, 10.0.0.1', 2)).toBe('203.0.113.7')
    expect(resolve('203.0.113.7,10.0.0.1', 2)).toBe('203.0.113.7')
  })

  it('takes the left-most entry when the chain is shorter than the hops', () => {
    expect(resolve('203.0.113.7', 3)).toBe('203.0.113.7')
    expect(resolve(undefined, 2)).toBe('10.0.0.2')
    expect(resolve('', 1)).toBe('10.0.0.2')
  })

  it('reads several headers as one list, in order', () => {
    expect(resolve(['1.1.1.1', '203.0.113.7, 10.0.0.1'], 2)).toBe('203.0.113.7')
    expect(resolve(['1.1.1.1, 203.0.113.7', '10.0.0.1'], 1)).toBe('10.0.0.1')
    expect(resolve([], 1)).toBe('10.0.0.2')
  })

  it('trims entries, unwraps IPv4-mapped IPv6 and strips ports', () => {
    expect(resolve(undefined, 0, '::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(resolve(undefined, 0, '::FFFF:203.0.113.7')).toBe('203.0.113.7')
    expect(resolve('  203.0.113.7:5123  ', 1)).toBe('203.0.113.7')
    expect(resolve('[2001:db8::1]:443', 1)).toBe('2001:db8::1')
    expect(resolve('[2001:db8::1]', 1)).toBe('2001:db8::1')
    expect(resolve('[::ffff:203.0.113.7]:80', 1)).toBe('203.0.113.7')
  })

  it('keeps IPv6 addresses, in one canonical spelling', () => {
    expect(resolve(undefined, 0, '2001:db8::1')).toBe('2001:db8::1')
    expect(resolve('2001:DB8:0:0:0:0:0:1', 1)).toBe('2001:db8::1')
    expect(resolve(undefined, 0, '::1')).toBe('::1')
  })

  it('never returns junk: falls back to the nearest valid entry on the right', () => {
    expect(resolve('not-an-ip', 1)).toBe('10.0.0.2')
    expect(resolve('1.1.1.1, <script>, 10.0.0.1', 2)).toBe('10.0.0.1')
    expect(resolve('1.1.1.1, unknown, junk', 2)).toBe('10.0.0.2')
    expect(resolve('999.1.1.1', 1)).toBe('10.0.0.2')
    expect(resolve('1.2.3.4:http', 1)).toBe('10.0.0.2')
    expect(resolve('x'.repeat(10_000), 1)).toBe('10.0.0.2')
    // Not to the left: that side is the client's.
    expect(resolve('203.0.113.7, junk', 1)).toBe('10.0.0.2')
  })

  it("is 'unknown' when nothing is an address", () => {
    expect(resolve(undefined, 0, null)).toBe('unknown')
    expect(resolve('1.2.3.4', 0, null)).toBe('unknown')
    expect(resolve('junk', 1, 'also junk')).toBe('unknown')
  })

  it('treats a negative or fractional hop count as 0', () => {
    expect(resolve('1.2.3.4', -1)).toBe('10.0.0.2')
    expect(resolve('1.2.3.4', 0.5)).toBe('10.0.0.2')
  })
})

describe('withClientAddress on a real server', () => {
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  })

  /** A server on 127.0.0.1 whose inner handler answers with the headers it received, as JSON. */
  async function echoServer(trustedProxyHops: number): Promise<string> {
    const server = createServer(
      withClientAddress((req, res) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(req.headers))
      }, trustedProxyHops),
    )
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  const spoofed = {
    'x-forwarded-for': '1.2.3.4',
    'x-real-ip': '5.6.7.8',
    'x-iapm-identity': JSON.stringify({ userId: 'admin', tenantId: 't1' }),
  }

  it('with 0 hops, the handler sees the socket address only, and neither X-Real-IP nor x-iapm-identity', async () => {
    const url = await echoServer(0)
    const seen = (await (await fetch(url, { headers: spoofed })).json()) as IncomingHttpHeaders
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen).not.toHaveProperty('x-real-ip')
    expect(seen).not.toHaveProperty('x-iapm-identity')
  })

  it('with 1 hop, the handler sees the last X-Forwarded-For entry', async () => {
    const url = await echoServer(1)
    const one = (await (await fetch(url, { headers: spoofed })).json()) as IncomingHttpHeaders
    expect(one['x-forwarded-for']).toBe('1.2.3.4')
    expect(one).not.toHaveProperty('x-real-ip')
    expect(one).not.toHaveProperty('x-iapm-identity')
    const chain = (await (
      await fetch(url, { headers: { 'x-forwarded-for': '9.9.9.9, 1.2.3.4' } })
    ).json()) as IncomingHttpHeaders
    expect(chain['x-forwarded-for']).toBe('1.2.3.4')
  })

  it('reads repeated X-Forwarded-For header lines as one chain', async () => {
    const url = await echoServer(1)
    const seen = await get(url, { 'x-forwarded-for': ['9.9.9.9', '1.2.3.4'], 'x-iapm-identity': ['a', 'b'] })
    expect(seen['x-forwarded-for']).toBe('1.2.3.4')
    expect(seen).not.toHaveProperty('x-iapm-identity')
  })

  it('with no header at all, still hands over the socket address', async () => {
    const url = await echoServer(2)
    expect((await get(url, {}))['x-forwarded-for']).toBe('127.0.0.1')
  })
})

describe('guardUpgradeRequests on a real server', () => {
  it("rewrites upgrade requests before a later 'upgrade' listener (as Next adds its own) sees them", async () => {
    const requestHandler = withClientAddress((req, res) => res.end(JSON.stringify(req.headers)), 0)
    const server = createServer(requestHandler)
    guardUpgradeRequests(server, 0)
    // Nothing listens for upgrades yet: Node hands them to the (wrapped) request handler.
    expect(server.listenerCount('upgrade')).toBe(0)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const upgrade = { connection: 'upgrade', upgrade: 'websocket', ...spoofedHeaders() }
      const before = await get(url, upgrade)
      expect(before['x-forwarded-for']).toBe('127.0.0.1')
      expect(before).not.toHaveProperty('x-real-ip')

      // The "framework" listener, added later, answers with what it received.
      server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
        const body = JSON.stringify(req.headers)
        socket.end(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        )
      })
      expect(server.listenerCount('upgrade')).toBe(2)
      const after = await get(url, upgrade)
      expect(after['x-forwarded-for']).toBe('127.0.0.1')
      expect(after).not.toHaveProperty('x-real-ip')
      expect(after).not.toHaveProperty('x-iapm-identity')
    } finally {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  })
})

function spoofedHeaders(): OutgoingHttpHeaders {
  return { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '5.6.7.8', 'x-iapm-identity': '{"userId":"admin"}' }
}

/** GET with node:http (which, unlike fetch, sends repeated header lines and Upgrade), the body as JSON. */
function get(url: string, headers: OutgoingHttpHeaders): Promise<IncomingHttpHeaders> {
  return new Promise((done, fail) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        try {
          done(JSON.parse(body) as IncomingHttpHeaders)
        } catch (err) {
          fail(err)
        }
      })
    })
    req.on('error', fail)
    req.end()
  })
}
