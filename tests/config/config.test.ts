import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '@/redis/core/config'

const base = {
  UPSTASH_REDIS_REST_URL: 'https://eu1-test.upstash.io',
  UPSTASH_REDIS_REST_TOKEN: 'AXsecretTOKENvalue123',
}

function issuesOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).issues
  }
  throw new Error('expected a ConfigError')
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    expect(parseConfig(base)).toEqual({
      enabled: true,
      url: base.UPSTASH_REDIS_REST_URL,
      token: base.UPSTASH_REDIS_REST_TOKEN,
      credentialSource: 'UPSTASH_REDIS_REST_URL',
      disableTelemetry: false,
      keyPrefix: 'iapm',
      timeoutMs: 1000,
      retries: 2,
      rateLimitFailurePolicy: 'open',
      production: false,
    })
  })

  it('reads every variable', () => {
    const c = parseConfig({
      ...base,
      REDIS_ENABLED: 'true',
      UPSTASH_DISABLE_TELEMETRY: 'true',
      REDIS_KEY_PREFIX: 'app-2',
      REDIS_TIMEOUT_MS: '250',
      REDIS_RETRIES: '0',
      RATE_LIMIT_FAILURE_POLICY: 'closed',
      NODE_ENV: 'production',
    })
    expect(c).toMatchObject({
      disableTelemetry: true,
      keyPrefix: 'app-2',
      timeoutMs: 250,
      retries: 0,
      rateLimitFailurePolicy: 'closed',
      production: true,
    })
  })

  it('names each wrong variable and what was expected, all at once', () => {
    const issues = issuesOf({
      ...base,
      UPSTASH_REDIS_REST_URL: 'eu1-test.upstash.io',
      REDIS_TIMEOUT_MS: '5s',
      REDIS_ENABLED: 'oui',
      RATE_LIMIT_FAILURE_POLICY: 'maybe',
      REDIS_KEY_PREFIX: 'a b',
    })
    const text = issues.join('\n')
    expect(text).toMatch(/UPSTASH_REDIS_REST_URL must be a URL/)
    expect(text).toMatch(/REDIS_TIMEOUT_MS must be a whole number from 50 to 10000/)
    expect(text).toMatch(/REDIS_ENABLED must be "true" or "false"/)
    expect(text).toMatch(/RATE_LIMIT_FAILURE_POLICY must be "open" or "closed"/)
    expect(text).toMatch(/REDIS_KEY_PREFIX must be/)
  })

  it('requires URL and token unless Redis is disabled, without ever echoing the token', () => {
    expect(issuesOf({}).join('\n')).toMatch(
      /UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required[\s\S]*KV_REST_API_URL and KV_REST_API_TOKEN/,
    )
    expect(issuesOf({ UPSTASH_REDIS_REST_URL: base.UPSTASH_REDIS_REST_URL })).toEqual([
      'UPSTASH_REDIS_REST_TOKEN is required when UPSTASH_REDIS_REST_URL is set',
    ])
    expect(issuesOf({ UPSTASH_REDIS_REST_TOKEN: base.UPSTASH_REDIS_REST_TOKEN })).toEqual([
      'UPSTASH_REDIS_REST_URL is required when UPSTASH_REDIS_REST_TOKEN is set',
    ])
    let message = ''
    try {
      parseConfig({ ...base, UPSTASH_REDIS_REST_URL: 'not a url' })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/UPSTASH_REDIS_REST_URL/)
    expect(message).not.toContain(base.UPSTASH_REDIS_REST_TOKEN)
    expect(parseConfig({ REDIS_ENABLED: 'false' }).enabled).toBe(false)
  })

  it('refuses REDIS_ENABLED=false in production unless explicitly allowed', () => {
    expect(issuesOf({ REDIS_ENABLED: 'false', NODE_ENV: 'production' }).join()).toMatch(
      /REDIS_DISABLED_ALLOW_PRODUCTION=true/,
    )
    expect(
      parseConfig({ REDIS_ENABLED: 'false', NODE_ENV: 'production', REDIS_DISABLED_ALLOW_PRODUCTION: 'true' }).enabled,
    ).toBe(false)
  })

  it("reads Vercel's Upstash integration names (KV_REST_API_*) when the UPSTASH_* names are absent", () => {
    const kv = {
      KV_REST_API_URL: 'https://eu2-kv.upstash.io',
      KV_REST_API_TOKEN: 'AXkvTOKENvalue456',
      KV_REST_API_READ_ONLY_TOKEN: 'ro',
      KV_URL: 'rediss://x',
    }
    expect(parseConfig(kv)).toMatchObject({
      url: kv.KV_REST_API_URL,
      token: kv.KV_REST_API_TOKEN,
      credentialSource: 'KV_REST_API_URL',
    })
    // UPSTASH_* win, as a pair: never the URL of one database with the token of another.
    expect(parseConfig({ ...kv, ...base })).toMatchObject({
      url: base.UPSTASH_REDIS_REST_URL,
      token: base.UPSTASH_REDIS_REST_TOKEN,
      credentialSource: 'UPSTASH_REDIS_REST_URL',
    })
    expect(issuesOf({ ...kv, UPSTASH_REDIS_REST_URL: base.UPSTASH_REDIS_REST_URL })).toEqual([
      'UPSTASH_REDIS_REST_TOKEN is required when UPSTASH_REDIS_REST_URL is set',
    ])
    expect(issuesOf({ KV_REST_API_URL: kv.KV_REST_API_URL })).toEqual([
      'KV_REST_API_TOKEN is required when KV_REST_API_URL is set',
    ])
    const bad = issuesOf({ KV_REST_API_URL: 'kv.upstash.io', KV_REST_API_TOKEN: kv.KV_REST_API_TOKEN })
    expect(bad.join()).toMatch(/KV_REST_API_URL must be a URL/)
    expect(bad.join()).not.toContain(kv.KV_REST_API_TOKEN)
  })
})
