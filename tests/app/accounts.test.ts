/**
 * Password reset and invitations end to end over HTTP: the real production server (next build +
 * scripts/serve.ts) sends its e-mails right after the response (after()) through a real SMTP server
 * started here; the links are read from the messages received, then used as a browser would.
 * APP_ORIGIN names the server's own address (production refuses any other Host), so the links work as they are.
 * A password reset's account lookup and e-mail come after its 202 (after()): the messages are awaited as they arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { freePort } from '@/upstash-local'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { startTestSmtp, type TestSmtp } from '../support/smtp'
import { uniquePrefix } from '../../testing/stack'
import { testAppEnv } from '../support/app'

const db = tempDatabase('accounts-api')
const prisma = createPrismaClient(db.url)
let app: RunningApp
let smtp: TestSmtp
let origin: string

beforeAll(async () => {
  await seedDemo(db.url, () => {})
  smtp = await startTestSmtp()
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  app = await startApp(
    testAppEnv(db.url, uniquePrefix('accounts-api'), {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'IA Poste Manager <no-reply@example.fr>',
      APP_ORIGIN: origin,
      // One proxy of ours in front (X-Forwarded-For): the reset tests each ask from client addresses of their
      // own, so the per-client limit (10 per 15 minutes) of one test never spills into another's.
      TRUSTED_PROXY_HOPS: '1',
    }),
    { port },
  )
})
afterAll(async () => {
  await app?.stop()
  await smtp?.stop()
  await prisma.$disconnect()
  db.remove()
})

/** The token of the link in the `nth` message to `to` (waits for it: sent after the response). */
async function linkToken(to: string, path: string, nth = 1): Promise<string> {
  const mails = await smtp.waitFor(nth, (m) => m.to.includes(to))
  const { text, html } = mails[nth - 1]!
  const m = new RegExp(`${origin.replace(/\./g, '\\.')}${path}\\?token=([A-Za-z0-9_-]{43})`).exec(text)
  expect(m, text).not.toBeNull()
  expect(html).toContain(m![1])
  return m![1]!
}

/** An anonymous client at `address` (what our proxy would write in X-Forwarded-For). */
const from = (address: string) => new Client(app.url, { 'x-forwarded-for': address })

/** A response's headers; values that change from one request to the next (date, the proxy's time, API rate-limit count) left out. */
const headersOf = (res: Response) =>
  [...res.headers].map(([name, value]) =>
    ['date', 'server-timing'].includes(name) || name.startsWith('x-ratelimit-') ? [name] : [name, value],
  )

describe('password reset over HTTP', () => {
  const EMAIL = 'avocat@cabinet-dupont.fr'

  it('answers 202 alike for an unknown and a known address; only the account gets an e-mail', async () => {
    const anonymous = from('203.0.113.1')
    const unknown = await anonymous.post('/api/auth/password-reset', { email: 'personne@nulle-part.fr' })
    const known = await anonymous.post('/api/auth/password-reset', { email: 'Avocat@Cabinet-Dupont.fr ' })
    expect(unknown.status).toBe(202)
    expect(known.status).toBe(202)
    expect(headersOf(known)).toEqual(headersOf(unknown))
    expect(await unknown.json()).toEqual({ accepted: true })
    expect(await known.json()).toEqual({ accepted: true })
    const bad = await anonymous.post('/api/auth/password-reset', { email: 'pas une adresse' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(/email must be an e-mail address/)

    await linkToken(EMAIL, '/mot-de-passe/nouveau')
    const mail = smtp.to(EMAIL)[0]!
    expect(mail.subject).toBe('Réinitialisation de votre mot de passe IA Poste Manager')
    expect(smtp.to('personne@nulle-part.fr')).toEqual([])
  })

  it('end to end: the link works once, the old password is refused, every session ends', async () => {
    const laptop = new Client(app.url)
    const phone = new Client(app.url)
    await laptop.login(EMAIL)
    await phone.login(EMAIL)
    expect((await phone.get('/api/auth/me')).status).toBe(200)

    const before = smtp.to(EMAIL).length
    expect((await from('203.0.113.2').post('/api/auth/password-reset', { email: EMAIL })).status).toBe(202)
    const token = await linkToken(EMAIL, '/mot-de-passe/nouveau', before + 1)

    // The page behind the link: the form, sent without a Referer to anyone.
    const page = await new Client(app.url).get(`/mot-de-passe/nouveau?token=${token}`)
    expect(page.status).toBe(200)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await page.text()).toContain('Nouveau mot de passe')

    const anonymous = new Client(app.url)
    // Too short: refused without spending the link.
    const short = await anonymous.post('/api/auth/password-reset/confirm', { token, password: 'court' })
    expect(short.status).toBe(400)
    expect(((await short.json()) as { error: string }).error).toMatch(/password must be at least 10 characters/)

    const ok = await anonymous.post('/api/auth/password-reset/confirm', { token, password: 'un nouveau mot de passe' })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ ok: true, sessionsEnded: 2 })

    expect((await laptop.get('/api/auth/me')).status).toBe(401)
    expect((await phone.get('/api/auth/me')).status).toBe(401)
    const old = await new Client(app.url).post('/api/auth/login', { email: EMAIL, password: 'demo-password' })
    expect(old.status).toBe(401)
    await new Client(app.url).login(EMAIL, 'un nouveau mot de passe')

    const again = await anonymous.post('/api/auth/password-reset/confirm', { token, password: 'encore un autre mot' })
    expect(again.status).toBe(400)
    expect(((await again.json()) as { error: string }).error).toMatch(/invalid, expired or already used/)
    const spent = await new Client(app.url).get(`/mot-de-passe/nouveau?token=${token}`)
    expect(spent.status).toBe(200)
    expect(await spent.text()).toContain('Lien expiré ou déjà utilisé')
    // A made-up token: the same answer.
    const forged = await anonymous.post('/api/auth/password-reset/confirm', {
      token: 'A'.repeat(43),
      password: 'encore un autre mot',
    })
    expect(forged.status).toBe(400)
  })

  it('limits each address silently: a 4th request within the hour, from anywhere, is answered 202 and sends nothing', async () => {
    const ASSISTANT = 'assistant@cabinet-dupont.fr'
    for (let i = 1; i <= 4; i++) {
      const res = await from(`198.51.100.${i}`).post('/api/auth/password-reset', { email: ASSISTANT })
      expect(res.status).toBe(202)
      expect(await res.json()).toEqual({ accepted: true })
    }
    await smtp.waitFor(3, (m) => m.to.includes(ASSISTANT))
    // A later request's e-mail: by then the server handled the 4th one (the service test awaits its work).
    expect(
      (await from('198.51.100.5').post('/api/auth/password-reset', { email: 'demo@cabinet-dupont.fr' })).status,
    ).toBe(202)
    await linkToken('demo@cabinet-dupont.fr', '/mot-de-passe/nouveau')
    expect(smtp.to(ASSISTANT)).toHaveLength(3)
  })
})

describe('invitations over HTTP', () => {
  const NEW = 'nouvelle.avocate@cabinet-dupont.fr'

  it('is for ADMINs only: 401 anonymous, 403 for an AVOCAT or an ASSISTANT, and nothing is sent', async () => {
    expect((await new Client(app.url).post('/api/invitations', { email: NEW, role: 'AVOCAT' })).status).toBe(401)
    for (const email of ['avocat@cabinet-martin.fr', 'assistant@cabinet-dupont.fr']) {
      const c = new Client(app.url)
      await c.login(email)
      const res = await c.post('/api/invitations', { email: NEW, role: 'ADMIN' })
      expect(res.status, email).toBe(403)
    }
    expect(smtp.to(NEW)).toEqual([])
  })

  it('validates the e-mail and the role, and refuses an address that has an account (409)', async () => {
    const admin = new Client(app.url)
    await admin.login('demo@cabinet-dupont.fr')
    const badRole = await admin.post('/api/invitations', { email: NEW, role: 'STAGIAIRE' })
    expect(badRole.status).toBe(400)
    expect(((await badRole.json()) as { error: string }).error).toMatch(/role must be one of ADMIN, AVOCAT, ASSISTANT/)
    const badEmail = await admin.post('/api/invitations', { email: 'nouvelle', role: 'AVOCAT' })
    expect(badEmail.status).toBe(400)
    expect(((await badEmail.json()) as { error: string }).error).toMatch(/email/)
    const taken = await admin.post('/api/invitations', { email: 'demo@cabinet-martin.fr', role: 'AVOCAT' })
    expect(taken.status).toBe(409)
  })

  it("end to end: ADMIN invites → e-mail → accept → the new member logs into the inviter's cabinet", async () => {
    const admin = new Client(app.url)
    await admin.login('demo@cabinet-dupont.fr')
    const res = await admin.post('/api/invitations', { email: NEW, role: 'AVOCAT' })
    expect(res.status).toBe(201)
    expect(await res.json()).toEqual({ invitation: { email: NEW, role: 'AVOCAT', expiresAt: expect.any(String) } })

    const token = await linkToken(NEW, '/invitation')
    const mail = smtp.to(NEW)[0]!
    expect(mail.subject).toBe('Invitation à rejoindre Cabinet Dupont sur IA Poste Manager')

    const page = await new Client(app.url).get(`/invitation?token=${token}`)
    expect(page.status).toBe(200)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await page.text()
    expect(html).toContain('Rejoindre Cabinet Dupont')
    expect(html).toContain(NEW)

    const visitor = new Client(app.url)
    const short = await visitor.post('/api/invitations/accept', { token, name: 'Inès Garnier', password: 'court' })
    expect(short.status).toBe(400)
    const accepted = await visitor.post('/api/invitations/accept', {
      token,
      name: 'Inès Garnier',
      password: 'une phrase de passe solide',
    })
    expect(accepted.status).toBe(201)
    expect(await accepted.json()).toEqual({
      user: { id: expect.any(String), email: NEW, role: 'AVOCAT', cabinetId: 'cabinet-dupont' },
    })
    const again = await visitor.post('/api/invitations/accept', {
      token,
      name: 'Quelqu’un d’autre',
      password: 'une autre phrase de passe',
    })
    expect(again.status).toBe(400)
    expect(await (await new Client(app.url).get(`/invitation?token=${token}`)).text()).toContain(
      'Invitation expirée ou déjà utilisée',
    )

    const member = new Client(app.url)
    const login = await member.post('/api/auth/login', { email: NEW, password: 'une phrase de passe solide' })
    expect(login.status).toBe(200)
    expect(await login.json()).toMatchObject({
      user: { email: NEW, name: 'Inès Garnier', role: 'AVOCAT', tenant: { id: 'cabinet-dupont' } },
    })
    const dossiers = (await (await member.get('/api/dossiers')).json()) as { dossiers: { tenantId: string }[] }
    expect(dossiers.dossiers.length).toBeGreaterThan(0)
    expect(new Set(dossiers.dossiers.map((d) => d.tenantId))).toEqual(new Set(['cabinet-dupont']))
    // Nobody of the other cabinet was written to, at any point.
    const martins = await prisma.user.findMany({ where: { tenantId: 'cabinet-martin' }, select: { email: true } })
    for (const { email } of martins) expect(smtp.to(email), email).toEqual([])
  })
})

describe('password reset rate limit', () => {
  it('answers 429 (with Retry-After) once a client asked too often, whatever the address', async () => {
    const c = from('192.0.2.10')
    const statuses: number[] = []
    for (let i = 0; i < 11; i++)
      statuses.push((await c.post('/api/auth/password-reset', { email: `inconnu${i}@nulle-part.fr` })).status)
    // 10 per 15 minutes (RESET_LIMITS.perClient), for this client only.
    expect(statuses).toEqual([...Array(10).fill(202), 429])
    const res = await c.post('/api/auth/password-reset', { email: 'avocat@cabinet-dupont.fr' })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await from('192.0.2.11').post('/api/auth/password-reset', { email: 'inconnu@nulle-part.fr' })).status).toBe(
      202,
    )
  })
})
