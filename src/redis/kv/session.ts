import { z } from 'zod'
import { resolveContext, type ContextSource } from '../core/context'
import { createRateLimit, type RateLimitFn } from '../rate-limit/rate-limit'
import { parseInput, ttlSecondsSchema } from '../core/helper-input'
import { encodeJson } from '../core/serialize'
import type { KeyValueStore } from '../core/store'

/**
 * What the app keeps in a session: who (userId), in which cabinet (tenantId), with which role.
 * Extra JSON fields are allowed and kept.
 */
export const SessionDataSchema = z.looseObject(
  {
    userId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    tenantId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    role: z.string({ error: 'must be a string such as "ADMIN"' }).min(1, { error: 'must not be empty' }),
  },
  { error: 'must be an object with userId, tenantId and role' },
)
export type SessionData = z.infer<typeof SessionDataSchema>

export interface SessionGetOptions {
  /**
   * Sliding expiry: also restart the session's lifetime, in the same single command (GETEX instead
   * of GET). `true` restarts it at the default TTL, a number at that many seconds.
   */
  slide?: boolean | number
}

/** Server-side sessions in Redis (or in this process when REDIS_ENABLED=false), plus `rateLimit`. */
export interface Session {
  /** Stores `data` under `id` for `ttlSeconds` (default 3600), replacing any previous session. 1 command (SET EX). */
  set(id: string, data: SessionData, ttlSeconds?: number): Promise<void>
  /**
   * The session's data, or null when absent, expired or no longer valid for SessionDataSchema.
   * `T` only narrows the type of extra fields; the three required ones are checked. 1 command (GET, or GETEX when sliding).
   */
  get<T extends SessionData = SessionData>(id: string, options?: SessionGetOptions): Promise<T | null>
  /** Logs out: true when a session was removed. 1 command (DEL); 2 with `owner` (also leaves the owner's index). */
  delete(id: string, options?: { owner?: string }): Promise<boolean>
  /**
   * Logs an owner out everywhere ("log out all devices", a revoked account): deletes every session
   * created with `owner`, and the index. 2 commands (ZRANGE, one DEL). Returns how many sessions there were.
   */
  deleteAll(owner: string): Promise<number>
  /** Restarts the session's lifetime at `ttlSeconds` (default 3600); false when there is no such session. 1 command (EXPIRE). */
  touch(id: string, ttlSeconds?: number): Promise<boolean>
  /**
   * Stores `data` under a fresh unguessable id (192 random bits, base64url) and returns the id. 1 command
   * (SET NX EX); with `owner`, also indexes it under that owner (e.g. the user id) so that deleteAll can
   * end them all: 3 more in a second round trip (ZADD, ZREMRANGEBYSCORE of entries older than
   * `ownerTtlSeconds`, EXPIRE).
   */
  create(data: SessionData, ttlSeconds?: number, options?: CreateOptions): Promise<string>
  /** The guide's spelling of `rateLimit` (rate-limit/rate-limit.ts): counts one request for `identifier`, `limit` per `windowSeconds`. */
  rateLimit: RateLimitFn
}

export interface CreateOptions {
  /** Indexes the session under this owner (a user id) for deleteAll. */
  owner?: string
  /** How long the owner's index lives and keeps entries: the longest a session can live (default 30 days). */
  ownerTtlSeconds?: number
}

export interface SessionOptions {
  /** Lifetime of `set`/`create`/`touch`/`slide: true` when none is given (default 3600 s, the seed's 1 h). */
  defaultTtlSeconds?: number
  /** Where sessions live (default: the context's store, Redis or this process's memory). Tests pass a memory store with a clock. */
  store?: KeyValueStore
  /** What `session.rateLimit` is (default: a rate limit on the same context and store). */
  rateLimit?: RateLimitFn
}

export const DEFAULT_SESSION_TTL_SECONDS = 3600
/** Sessions are small; this keeps a runaway object from being copied into Redis on every login. */
export const MAX_SESSION_BYTES = 64 * 1024
/** Random bytes in a created id: 192 bits, well above the 128 bits OWASP asks of session ids. */
const ID_BYTES = 24

const idSchema = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(256, { error: 'must be at most 256 characters' })
  .regex(/^[A-Za-z0-9._:@-]+$/, { error: 'may only contain letters, digits and . _ : @ -' })

/** The layer's one bound on lifetimes (1 s to a year, see helper-input.ts). */
const ttlSchema = ttlSecondsSchema({ min: 1 })

/** Builds `session` on a context (resolved at each call, so building it never throws). */
export function createSession(source: ContextSource, options: SessionOptions = {}): Session {
  const defaultTtl = parseInput(
    ttlSchema,
    options.defaultTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS,
    'createSession: defaultTtlSeconds',
  )
  /** The store and this session's full key, resolved at each call. */
  const at = (op: string, id: unknown) => {
    const ctx = resolveContext(source)
    return { store: options.store ?? ctx.store, key: ctx.keys.key('session', sessionKey(op, id)) }
  }

  const encode = (op: string, data: unknown): string => {
    parseInput(SessionDataSchema, data, `${op}: data`)
    return encodeJson(data, `${op}: data`, MAX_SESSION_BYTES)
  }

  return {
    async set(id, data, ttlSeconds = defaultTtl) {
      const { store, key } = at('session.set', id)
      const ttl = parseInput(ttlSchema, ttlSeconds, 'session.set: ttlSeconds')
      await store.set('session.set', key, encode('session.set', data), { ttlSeconds: ttl })
    },

    async get<T extends SessionData = SessionData>(id: string, getOptions: SessionGetOptions = {}): Promise<T | null> {
      const { store, key } = at('session.get', id)
      const slide = getOptions.slide
      const ttl =
        slide === undefined || slide === false
          ? undefined
          : slide === true
            ? defaultTtl
            : parseInput(ttlSchema, slide, 'session.get: options.slide')
      const raw =
        ttl === undefined ? await store.get('session.get', key) : await store.getAndExpire('session.get', key, ttl)
      return decodeSession<T>(raw)
    },

    async delete(id, deleteOptions = {}) {
      const { store, key } = at('session.delete', id)
      if (deleteOptions.owner === undefined) return store.delete('session.delete', key)
      const [deleted] = await Promise.all([
        store.delete('session.delete', key),
        store.unindex('session.delete', ownerIndex('session.delete', deleteOptions.owner), id),
      ])
      return deleted
    },
    async deleteAll(owner) {
      const index = ownerIndex('session.deleteAll', owner)
      const { store } = at('session.deleteAll', 'x')
      const ids = await store.members('session.deleteAll', index)
      const keys = ids.filter((id) => idSchema.safeParse(id).success).map((id) => at('session.deleteAll', id).key)
      const deleted = await store.deleteMany('session.deleteAll', [...keys, index])
      // The index itself was one of the keys deleted, when it existed.
      return Math.max(0, deleted - (ids.length > 0 ? 1 : 0))
    },

    async touch(id, ttlSeconds = defaultTtl) {
      const { store, key } = at('session.touch', id)
      const ttl = parseInput(ttlSchema, ttlSeconds, 'session.touch: ttlSeconds')
      return store.expire('session.touch', key, ttl)
    },

    async create(data, ttlSeconds = defaultTtl, createOptions = {}) {
      const ttl = parseInput(ttlSchema, ttlSeconds, 'session.create: ttlSeconds')
      const ownerTtl = parseInput(
        ttlSchema,
        createOptions.ownerTtlSeconds ?? 30 * 24 * 3600,
        'session.create: options.ownerTtlSeconds',
      )
      const index = createOptions.owner === undefined ? undefined : ownerIndex('session.create', createOptions.owner)
      const json = encode('session.create', data)
      // NX: a fresh id never overwrites a session. A clash of 192 random bits does not happen;
      // the loop only keeps that impossibility from turning into a silent overwrite.
      for (let attempt = 0; attempt < 3; attempt++) {
        const id = newSessionId()
        const { store, key } = at('session.create', id)
        if (!(await store.set('session.create', key, json, { ttlSeconds: ttl, onlyIfAbsent: true }))) continue
        if (index) {
          const now = store.now()
          await store.index('session.create', {
            index,
            member: id,
            atMs: now,
            ttlSeconds: Math.max(ownerTtl, ttl),
            dropBeforeMs: now - ownerTtl * 1000,
          })
        }
        return id
      }
      throw new Error('session.create: could not mint a unique id (is crypto.getRandomValues broken?)')
    },

    rateLimit: options.rateLimit ?? createRateLimit(source, { store: options.store }),
  }

  /** The key of an owner's index of sessions (the owner validated like an id). */
  function ownerIndex(op: string, owner: unknown): string {
    return resolveContext(source).keys.key('session-owner', parseInput(idSchema, owner, `${op}: owner`))
  }
}

/** A new session id: 24 bytes from Web Crypto (works in Node, edge and browsers), base64url, 32 characters. */
export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ID_BYTES))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** The id validated (RedisInputError naming the operation otherwise; the id itself is never echoed). */
function sessionKey(op: string, id: unknown): string {
  return parseInput(idSchema, id, `${op}: id`)
}

/** Stored JSON back to session data; anything unreadable or no longer matching the schema counts as no session. */
function decodeSession<T>(raw: unknown): T | null {
  if (typeof raw !== 'string') return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  return SessionDataSchema.safeParse(value).success ? (value as T) : null
}
