import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startEndpoint, type RunningEndpoint } from '@/upstash-local'
import { uniquePrefix } from '../../testing/stack'
import { b64, command, raw, type RawAnswer, type Target } from './support'

/** The REST protocol over raw fetch: auth, routes, path style, encodings, headers, malformed input, limits. */
const stack = inject('stack')
const p = uniquePrefix('proto')
const k = (name: string) => `${p}:${name}`
const errorOf = (res: RawAnswer) => (res.json as { error: string }).error

describe('auth', () => {
  const token = stack.UPSTASH_REDIS_REST_TOKEN
  it.each([
    { name: 'no credentials', path: '/ping', auth: false as const },
    { name: 'a wrong Bearer token', path: '/ping', auth: `Bearer ${token}x` },
    { name: 'a Bearer token of another length', path: '/ping', auth: 'Bearer x' },
    { name: 'another scheme', path: '/ping', auth: `Basic ${token}` },
    { name: 'a wrong ?_token=', path: `/ping?_token=${token}x`, auth: false as const },
    { name: 'an empty ?_token=', path: '/ping?_token=', auth: false as const },
  ])('answers 401 JSON to $name', async ({ path, auth }) => {
    const res = await raw(stack, path, { auth })
    expect(res.status).toBe(401)
    expect(errorOf(res)).toMatch(/Unauthorized/)
    expect(res.headers.get('upstash-sync-token')).toMatch(/^\d+$/)
  })

  it('accepts the right Bearer token and the right ?_token=', async () => {
    expect((await raw(stack, '/ping')).json).toEqual({ result: 'PONG' })
    const viaQuery = await raw(stack, `/ping?_token=${encodeURIComponent(token)}`, { auth: false })
    expect(viaQuery.status).toBe(200)
    expect(viaQuery.json).toEqual({ result: 'PONG' })
    const post = await raw(stack, `/?_token=${encodeURIComponent(token)}`, { auth: false, body: '["ECHO","hi"]' })
    expect(post.json).toEqual({ result: 'hi' })
  })

  it('runs nothing for an unauthorised request', async () => {
    const res = await raw(stack, '/', { auth: 'Bearer nope', body: JSON.stringify(['SET', k('unauth'), 'x']) })
    expect(res.status).toBe(401)
    expect((await command(stack, ['EXISTS', k('unauth')])).json).toEqual({ result: 0 })
  })
})

describe('path style', () => {
  it('runs GET /cmd/arg/… with URL-decoded segments', async () => {
    const key = k('a key/with é & %')
    const set = await raw(stack, `/set/${encodeURIComponent(key)}/${encodeURIComponent('v/1 ✓')}`)
    expect(set.json).toEqual({ result: 'OK' })
    expect((await raw(stack, `/get/${encodeURIComponent(key)}`)).json).toEqual({ result: 'v/1 ✓' })
    expect((await raw(stack, `/incrby/${encodeURIComponent(k('n'))}/5`)).json).toEqual({ result: 5 })
  })

  it('appends a POST body as the last argument, and runs POST /cmd/args without a body as is', async () => {
    expect((await raw(stack, `/set/${encodeURIComponent(k('body'))}`, { body: 'from the body' })).json).toEqual({
      result: 'OK',
    })
    expect((await command(stack, ['GET', k('body')])).json).toEqual({ result: 'from the body' })
    expect((await raw(stack, `/rpush/${encodeURIComponent(k('list'))}/a/b`, { body: 'c' })).json).toEqual({ result: 3 })
    expect((await command(stack, ['LRANGE', k('list'), '0', '-1'])).json).toEqual({ result: ['a', 'b', 'c'] })
    expect((await raw(stack, `/set/${encodeURIComponent(k('nobody'))}/v`, { method: 'POST' })).json).toEqual({
      result: 'OK',
    })
  })

  it('takes a raw POST body as the last argument of XREAD (keyword checks ignore raw bytes)', async () => {
    await command(stack, ['XADD', k('xs'), '5-1', 'f', 'v'])
    const res = await raw(stack, `/xread/count/1/streams/${encodeURIComponent(k('xs'))}`, { body: '0' })
    expect(res.json).toEqual({ result: [[k('xs'), [['5-1', ['f', 'v']]]]] })
  })

  it('answers 400 with the Redis error for a failing path-style command', async () => {
    const res = await raw(stack, `/incr/${encodeURIComponent(k('body'))}`)
    expect(res.status).toBe(400)
    expect(errorOf(res)).toMatch(/^ERR value is not an integer/)
  })

  it('answers 400 for a path that is not valid URL encoding', async () => {
    const res = await raw(stack, '/get/%E0%A4%A')
    expect(res.status).toBe(400)
    expect(errorOf(res)).toMatch(/not valid URL encoding/)
  })
})

describe('Upstash-Encoding', () => {
  const base64 = { 'Upstash-Encoding': 'base64' }
  beforeAll(async () => {
    await command(stack, ['DEL', k('enc'), k('ok'), k('l'), k('h'), k('x')])
    await command(stack, ['SET', k('enc'), 'héllo'])
    await command(stack, ['SET', k('ok'), 'OK'])
    await command(stack, ['RPUSH', k('l'), 'a', 'é'])
    await command(stack, ['HSET', k('h'), 'f', 'v'])
    await command(stack, ['XADD', k('x'), '1-1', 'field', 'valeur'])
  })

  it('base64-encodes strings, leaves numbers and null alone, and the status OK plain', async () => {
    expect((await command(stack, ['GET', k('enc')], base64)).json).toEqual({ result: b64('héllo') })
    expect((await command(stack, ['STRLEN', k('enc')], base64)).json).toEqual({ result: 6 })
    expect((await command(stack, ['GET', k('missing')], base64)).json).toEqual({ result: null })
    expect((await command(stack, ['SET', k('enc2'), 'v'], base64)).json).toEqual({ result: 'OK' })
    // Any other status reply is a string like the rest: encoded.
    expect((await command(stack, ['PING'], base64)).json).toEqual({ result: b64('PONG') })
    expect((await command(stack, ['TYPE', k('enc')], base64)).json).toEqual({ result: b64('string') })
  })

  it('encodes a stored value "OK" (it is not the status)', async () => {
    expect((await command(stack, ['GET', k('ok')], base64)).json).toEqual({ result: b64('OK') })
    expect((await command(stack, ['GET', k('ok')])).json).toEqual({ result: 'OK' })
  })

  it('encodes every string of nested arrays, numbers and nulls stay as they are', async () => {
    expect((await command(stack, ['LRANGE', k('l'), '0', '-1'], base64)).json).toEqual({ result: [b64('a'), b64('é')] })
    expect((await command(stack, ['HGETALL', k('h')], base64)).json).toEqual({ result: [b64('f'), b64('v')] })
    expect((await command(stack, ['XRANGE', k('x'), '-', '+'], base64)).json).toEqual({
      result: [[b64('1-1'), [b64('field'), b64('valeur')]]],
    })
    expect((await command(stack, ['EVAL', "return {1, 'deux', {3, false}}", '0'], base64)).json).toEqual({
      result: [1, b64('deux'), [3, null]],
    })
    expect((await command(stack, ['MGET', k('enc'), k('missing')], base64)).json).toEqual({
      result: [b64('héllo'), null],
    })
  })

  it('answers plain UTF-8 without the header, nested arrays included', async () => {
    expect((await command(stack, ['XRANGE', k('x'), '-', '+'])).json).toEqual({
      result: [['1-1', ['field', 'valeur']]],
    })
    expect((await command(stack, ['GET', k('enc')])).json).toEqual({ result: 'héllo' })
  })

  it('encodes pipeline and multi-exec entries the same way', async () => {
    const body = JSON.stringify([
      ['GET', k('enc')],
      ['SET', k('enc3'), 'x'],
      ['INCR', k('enc')],
    ])
    const pipe = await raw(stack, '/pipeline', { body, headers: base64 })
    expect(pipe.json).toEqual([
      { result: b64('héllo') },
      { result: 'OK' },
      { error: expect.stringMatching(/^ERR value is not an integer/) },
    ])
    const multi = await raw(stack, '/multi-exec', { body, headers: base64 })
    expect(multi.json).toEqual([
      { result: b64('héllo') },
      { result: 'OK' },
      { error: expect.stringMatching(/^ERR value is not an integer/) },
    ])
  })
})

describe('headers, routes and malformed input', () => {
  it('sends an upstash-sync-token header on every answer', async () => {
    const answers = await Promise.all([
      raw(stack, '/ping'),
      raw(stack, '/', { body: '["INCR"]' }),
      raw(stack, '/', { body: 'not json' }),
      raw(stack, '/nosuchroute'),
      raw(stack, '/pipeline'),
      raw(stack, '/ping', { auth: false }),
      raw(stack, '/pipeline', { body: '[["PING"]]' }),
      raw(stack, '/multi-exec', { body: '[["PING"]]' }),
    ])
    expect(answers.map((a) => a.status)).toEqual([200, 400, 400, 404, 405, 401, 200, 200])
    for (const a of answers) expect(a.headers.get('upstash-sync-token')).toMatch(/^\d+$/)
  })

  it.each([
    { body: 'not json', route: '/', message: /\/: body is not valid JSON .*expected a JSON array/ },
    { body: '', route: '/', message: /empty body, expected a JSON array/ },
    { body: '{"cmd":"GET"}', route: '/', message: /expected a non-empty JSON array like \["SET","key","value"\]/ },
    { body: '[]', route: '/', message: /expected a non-empty JSON array/ },
    { body: '[1,"x"]', route: '/', message: /body\[0\]: expected the command name as a string/ },
    {
      body: '["SET","k",{"a":1}]',
      route: '/',
      message: /body\[2\]: expected a string, number or boolean argument, got object/,
    },
    { body: '["SET","k",null]', route: '/', message: /body\[2\]: .*got null/ },
    { body: '["GET","k"]', route: '/pipeline', message: /\/pipeline command 0: expected a non-empty JSON array/ },
    { body: '[]', route: '/multi-exec', message: /\/multi-exec: expected a non-empty JSON array of commands/ },
    {
      body: '{"a":1}',
      route: '/pipeline',
      message: /expected a non-empty JSON array of commands like \[\["SET","k","v"\],\["GET","k"\]\]/,
    },
  ])('answers 400 to $route with body $body, saying what was expected', async ({ body, route, message }) => {
    const res = await raw(stack, route, { method: 'POST', body })
    expect(res.status).toBe(400)
    expect(errorOf(res)).toMatch(message)
  })

  it('accepts numbers and booleans as arguments (as the client may send them)', async () => {
    expect((await command(stack, ['SET', k('num'), 12.5])).json).toEqual({ result: 'OK' })
    expect((await command(stack, ['GET', k('num')])).json).toEqual({ result: '12.5' })
    expect((await command(stack, ['SET', k('bool'), true])).json).toEqual({ result: 'OK' })
    expect((await command(stack, ['GET', k('bool')])).json).toEqual({ result: 'true' })
  })

  it('answers 404 to an unknown route', async () => {
    for (const path of ['/nosuchcommand/x', '/favicon.ico', '/pipeline/extra']) {
      const res = await raw(stack, path)
      expect(res.status).toBe(404)
      expect(errorOf(res)).toMatch(/unknown route/)
    }
  })

  it('answers 405 to GET on /pipeline, /multi-exec and /, and to other methods', async () => {
    for (const path of ['/pipeline', '/multi-exec', '/']) {
      const res = await raw(stack, path)
      expect(res.status).toBe(405)
      expect(errorOf(res)).toMatch(/POST a JSON array body/)
      expect(res.headers.get('allow')).toBe('POST')
    }
    const put = await raw(stack, '/', { method: 'PUT', body: '["PING"]' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, POST')
  })
})

describe('refused stateful commands', () => {
  it.each(
    [
      {
        args: ['SUBSCRIBE', 'news'],
        message: /SUBSCRIBE is not allowed: use the streaming route \/subscribe\/<channel>/,
      },
      { args: ['PSUBSCRIBE', 'n*'], message: /PSUBSCRIBE is not allowed/ },
      { args: ['SELECT', '1'], message: /SELECT is not allowed/ },
      { args: ['WATCH', 'k'], message: /WATCH is not allowed/ },
      { args: ['MULTI'], message: /MULTI is not allowed: use POST \/multi-exec/ },
      { args: ['MONITOR'], message: /MONITOR is not allowed/ },
      { args: ['CLIENT', 'REPLY', 'OFF'], message: /CLIENT REPLY is not allowed/ },
      { args: ['client', 'setname', 'x'], message: /CLIENT SETNAME is not allowed/ },
    ].map((c) => ({ ...c, name: c.args.join(' ') })),
  )('answers 400 to $name', async ({ args, message }) => {
    const res = await command(stack, args)
    expect(res.status).toBe(400)
    expect(errorOf(res)).toMatch(message)
  })

  it('also refuses them path style, and the pool is not poisoned afterwards', async () => {
    expect((await raw(stack, '/select/1')).status).toBe(400)
    expect((await raw(stack, '/client/reply/off')).status).toBe(400)
    await command(stack, ['SET', k('db0'), 'still db 0'])
    // More requests than pooled connections: every one still answers, from database 0.
    const answers = await Promise.all(Array.from({ length: 40 }, () => command(stack, ['GET', k('db0')])))
    for (const a of answers) expect(a.json).toEqual({ result: 'still db 0' })
  })
})

describe('body limit', () => {
  let small: RunningEndpoint
  let target: Target
  beforeAll(async () => {
    const token = randomBytes(16).toString('hex')
    small = await startEndpoint({ redisUrl: stack.REDIS_URL, token, port: 0, maxBodyBytes: 1024 })
    target = { UPSTASH_REDIS_REST_URL: small.url, UPSTASH_REDIS_REST_TOKEN: token }
  })
  afterAll(() => small.close())

  it('answers 413 to a body over the limit (Content-Length) and runs nothing', async () => {
    const res = await raw(target, '/', { body: JSON.stringify(['SET', k('big'), 'x'.repeat(2000)]) })
    expect(res.status).toBe(413)
    expect(errorOf(res)).toMatch(/over the limit of 1024 bytes/)
    expect(res.headers.get('upstash-sync-token')).toMatch(/^\d+$/)
    expect((await command(target, ['EXISTS', k('big')])).json).toEqual({ result: 0 })
  })

  it('answers 413 to a streamed (chunked) body that grows over the limit', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(600))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 4) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const res = await raw(target, `/set/${encodeURIComponent(k('stream'))}`, { body })
    expect(res.status).toBe(413)
    expect(errorOf(res)).toMatch(/over the limit of 1024 bytes/)
    expect((await command(target, ['EXISTS', k('stream')])).json).toEqual({ result: 0 })
  })

  it('accepts a body right at the limit', async () => {
    const prefix = JSON.stringify(['SET', k('fits'), ''])
    const value = 'y'.repeat(1024 - prefix.length)
    const body = JSON.stringify(['SET', k('fits'), value])
    expect(Buffer.byteLength(body)).toBe(1024)
    expect((await raw(target, '/', { body })).json).toEqual({ result: 'OK' })
  })
})
