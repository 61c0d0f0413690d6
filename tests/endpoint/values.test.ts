import { randomBytes } from 'node:crypto'
import { RESP_TYPES } from 'redis'
import { describe, expect, inject, it } from 'vitest'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'
import { b64, command, raw, upstash } from './support'

/** Values survive the trip byte for byte: unicode, NUL and invalid UTF-8 bytes, 1 MB. */
const stack = inject('stack')
const redis = upstash(stack, { deserialize: false })
const p = uniquePrefix('val')
const k = (name: string) => `${p}:${name}`

const UNICODE = ['é à ç ß', '日本語のテキスト', 'مرحبا', '👩🏽‍⚖️ dossier 📁✓', 'a\u0000b\u0000', 'line\nbreak\t"quoted"\\']

describe('unicode and binary values', () => {
  it.each(UNICODE)('round-trips %j through @upstash/redis (base64 responses)', async (value) => {
    await redis.set(k(`u:${value}`), value)
    expect(await redis.get(k(`u:${value}`))).toBe(value)
  })

  it('answers plain UTF-8 JSON strings without Upstash-Encoding', async () => {
    const value = UNICODE.join('|')
    expect((await command(stack, ['SET', k('plain'), value])).json).toEqual({ result: 'OK' })
    expect((await command(stack, ['GET', k('plain')])).json).toEqual({ result: value })
  })

  it('stores a path-style POST body byte for byte (NUL, 0xFF, invalid UTF-8) and returns it in base64', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x41, 0x0a, 0x00])
    const set = await raw(stack, `/set/${encodeURIComponent(k('bin'))}`, { body: bytes })
    expect(set.json).toEqual({ result: 'OK' })
    const got = await command(stack, ['GET', k('bin')], { 'Upstash-Encoding': 'base64' })
    expect(got.json).toEqual({ result: b64(bytes) })
    const direct = await directClient(stack.REDIS_URL)
    try {
      const stored = await direct.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(k('bin'))
      expect(Buffer.compare(stored as unknown as Buffer, bytes)).toBe(0)
    } finally {
      await direct.close()
    }
  })

  it('returns binary values inside arrays in base64 too (LRANGE)', async () => {
    const a = Buffer.from([0x00, 0x01, 0xff])
    const b = Buffer.from([0x80, 0x00])
    await raw(stack, `/rpush/${encodeURIComponent(k('binlist'))}`, { body: a })
    await raw(stack, `/rpush/${encodeURIComponent(k('binlist'))}`, { body: b })
    const res = await command(stack, ['LRANGE', k('binlist'), '0', '-1'], { 'Upstash-Encoding': 'base64' })
    expect(res.json).toEqual({ result: [b64(a), b64(b)] })
  })
})

describe('large values', () => {
  it('round-trips a 1 MB string through @upstash/redis', async () => {
    const value = randomBytes(768 * 1024).toString('base64') // 1 MB of text
    expect(value.length).toBe(1024 * 1024)
    expect(await redis.set(k('big'), value)).toBe('OK')
    expect(await redis.strlen(k('big'))).toBe(value.length)
    expect(await redis.get(k('big'))).toBe(value)
  })

  it('round-trips 1 MB of random bytes (path-style POST body in, base64 out)', async () => {
    const bytes = randomBytes(1024 * 1024)
    expect((await raw(stack, `/set/${encodeURIComponent(k('bigbin'))}`, { body: bytes })).json).toEqual({
      result: 'OK',
    })
    const got = await command(stack, ['GET', k('bigbin')], { 'Upstash-Encoding': 'base64' })
    expect(Buffer.compare(Buffer.from((got.json as { result: string }).result, 'base64'), bytes)).toBe(0)
  })

  it('carries 1 MB values inside a pipeline next to small ones', async () => {
    const value = 'x'.repeat(1024 * 1024)
    const out = await redis.pipeline().set(k('pbig'), value).get(k('pbig')).strlen(k('pbig')).exec()
    expect(out).toEqual(['OK', value, value.length])
  })
})
