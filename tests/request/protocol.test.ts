/**
 * The proxy → app header protocol (src/lib/request/protocol.ts) and the API wrapper that is the only
 * way a route gets its caller (src/lib/request/api.ts): a request that skipped the proxy cannot carry
 * an identity, whatever it puts in the header.
 */
import { NextRequest } from 'next/server'
import { describe, expect, it } from 'vitest'
import type { Identity } from '@/lib/core/identity'
import { withAuth, withAuthAndId } from '@/lib/request/api'
import {
  CLIENT_ADDRESS_HEADER,
  forwardedHeaders,
  IDENTITY_HEADER,
  identityKeyFor,
  newRequestBudget,
  REDIS_SPENT_HEADER,
  signIdentity,
} from '@/lib/request/protocol'

const alice: Identity = {
  userId: 'u-alice',
  tenantId: 'cabinet-dupont',
  role: 'ASSISTANT',
  email: 'alice@dupont.fr',
  name: 'Alice Élan',
  sessionId: 's1',
}

/** A route that answers who called it. */
const whoAmI = withAuth(async ({ identity, tenantId, role, address }) =>
  Response.json({ identity, tenantId, role, address }),
)

function call(handler: typeof whoAmI, headers: HeadersInit): Promise<Response> {
  return handler(new NextRequest('http://app.test/api/whoami', { headers }), { params: Promise.resolve({}) })
}

/** The headers the proxy forwards for `identity` (what a real request carries after src/proxy.ts). */
function viaProxy(identity: Identity | null, incoming: HeadersInit = {}): Headers {
  return forwardedHeaders(new Headers(incoming), { identity, address: '203.0.113.7', budget: newRequestBudget() })
}

describe('the identity header', () => {
  it('set by the proxy: the route gets the caller, cabinet, role and address', async () => {
    const res = await call(whoAmI, viaProxy(alice))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      identity: alice,
      tenantId: 'cabinet-dupont',
      role: 'ASSISTANT',
      address: '203.0.113.7',
    })
  })

  it('forged without the proxy (plain JSON, URL-encoded JSON as before, signed with another key, tampered): 401', async () => {
    const admin = { ...alice, role: 'ADMIN' }
    const signed = viaProxy(alice).get(IDENTITY_HEADER)!
    const [payload, signature] = signed.split('.')
    const tampered = `${Buffer.from(JSON.stringify(admin)).toString('base64url')}.${signature}`
    const forgeries = [
      JSON.stringify(admin),
      encodeURIComponent(JSON.stringify(admin)),
      signIdentity(admin as Identity, identityKeyFor('some-other-secret-of-at-least-32-characters')!),
      tampered,
      `${payload}.`,
      payload!,
      `${signed}x`,
    ]
    for (const forged of forgeries) {
      const res = await call(whoAmI, { [IDENTITY_HEADER]: forged })
      expect(res.status, forged).toBe(401)
      expect(await res.json()).toEqual({ error: 'not logged in: POST /api/auth/login first' })
    }
  })

  it('a client-sent copy never survives the proxy: an anonymous request stays anonymous', async () => {
    const headers = viaProxy(null, {
      [IDENTITY_HEADER]: signIdentity(alice, identityKeyFor('x'.repeat(40))!),
      [CLIENT_ADDRESS_HEADER]: '1.2.3.4',
      [REDIS_SPENT_HEADER]: '0',
    })
    expect(headers.get(IDENTITY_HEADER)).toBeNull()
    expect(headers.get(CLIENT_ADDRESS_HEADER)).toBe('203.0.113.7')
    expect((await call(whoAmI, headers)).status).toBe(401)
  })
})

describe('the wrapper', () => {
  it('roles: another role is a 403 before the handler runs', async () => {
    let ran = false
    const adminsOnly = withAuth(
      async () => {
        ran = true
        return new Response(null, { status: 204 })
      },
      { roles: ['ADMIN', 'AVOCAT'] },
    )
    const res = await call(adminsOnly, viaProxy(alice))
    expect(res.status).toBe(403)
    expect(ran).toBe(false)
    expect((await call(adminsOnly, viaProxy({ ...alice, role: 'AVOCAT' }))).status).toBe(204)
  })

  it("an [id] that cannot be one gets the resource's own not-found answer; a good one reaches the handler", async () => {
    const ID = {
      parse: (raw: unknown) => (typeof raw === 'string' && /^[a-z0-9]{1,8}$/.test(raw) ? raw : null),
      notFound: () => Response.json({ error: 'thing not found' }, { status: 404 }),
    }
    const route = withAuthAndId(ID, async ({ id }) => Response.json({ id }))
    const request = new NextRequest('http://app.test/api/things/x', { headers: viaProxy(alice) })
    const bad = await route(request, { params: Promise.resolve({ id: '../../etc' }) })
    expect([bad.status, await bad.json()]).toEqual([404, { error: 'thing not found' }])
    const good = await route(new NextRequest('http://app.test/api/things/abc', { headers: viaProxy(alice) }), {
      params: Promise.resolve({ id: 'abc' }),
    })
    expect(await good.json()).toEqual({ id: 'abc' })
  })

  it('whatever the handler throws becomes its JSON answer', async () => {
    const broken = withAuth(async () => {
      throw new Error('secret internals')
    })
    const res = await call(broken, viaProxy(alice))
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'internal error' })
  })
})
