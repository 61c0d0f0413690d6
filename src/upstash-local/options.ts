import { z } from 'zod'

/** Tokens people paste from examples: an endpoint guarded by one is open to anyone who read the same page. */
const PLACEHOLDER_TOKENS = new Set([
  'change-me',
  'changeme',
  'your-token',
  'token',
  'secret',
  'password',
  'AXXXXXXxxxxxxx...',
  'AXXXXXXxxxxxxx',
])
/** Shortest token accepted: 16 characters (the generated ones are 32). */
export const MIN_TOKEN_LENGTH = 16

/** Everything the endpoint can be told; the CLI flags map one-to-one onto these. */
export const endpointOptionsSchema = z.object({
  port: z.number().int().min(0).max(65535).default(8079),
  host: z.string().min(1).default('127.0.0.1'),
  token: z
    .string()
    .min(MIN_TOKEN_LENGTH, `the token must be at least ${MIN_TOKEN_LENGTH} characters (omit it to get a random one)`)
    .refine(
      (t) => !PLACEHOLDER_TOKENS.has(t) && !/^(change|your|example)/i.test(t),
      'the token is a placeholder from an example: omit it to get a random one',
    ),
  /**
   * Origins of web pages allowed to call the endpoint. By default none: a request carrying `Origin`
   * or `Sec-Fetch-Site: cross-site` comes from a browser page and gets 403 (a page could otherwise
   * write to Redis with a guessed or leaked token).
   */
  allowOrigins: z.array(z.string().url('each allowed origin must be a URL such as http://localhost:3000')).default([]),
  redisUrl: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
  /** Largest request body accepted, in bytes; larger gets 413. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /** A request body must arrive whole within this many ms of the request's start; else 408. */
  bodyTimeoutMs: z
    .number({ error: 'bodyTimeoutMs (--body-timeout) must be a number of ms' })
    .int()
    .min(100, 'bodyTimeoutMs (--body-timeout) must be at least 100 ms')
    .default(10_000),
  /** After its first second, a request body must average at least this many bytes/s; else 408 (0 = no minimum). */
  minBodyRate: z
    .number({ error: 'minBodyRate (--min-body-rate) must be a number of bytes per second' })
    .int()
    .min(0, 'minBodyRate (--min-body-rate) must be at least 0')
    .default(256 * 1024),
  /** How long a non-blocking request may wait for Redis before a 503. */
  timeoutMs: z.number().int().positive().default(2_000),
  /**
   * Shared connections to Redis for ordinary commands. Redis runs commands one at a time, so more
   * connections add no throughput; one lets node-redis batch every request of a tick into one write
   * (measured: ~15 % less endpoint CPU per request at concurrency 16 than with 4).
   */
  poolSize: z.number().int().min(1).max(64).default(1),
  /** Log one line per request (never the token). */
  verbose: z.boolean().default(false),
  // Resource limits (see docs/endpoint.md, "Limits"): what one request, or all of them at once, may cost.
  /** Largest reply of one request (a pipeline's replies together), in bytes of data; larger gets an error for that command instead of the reply. */
  maxReplyBytes: z
    .number({ error: 'maxReplyBytes (--max-reply-bytes) must be a number of bytes' })
    .int()
    .min(1024, 'maxReplyBytes (--max-reply-bytes) must be at least 1024 bytes')
    .default(10 * 1024 * 1024),
  /** Largest value a write's arguments alone may build (SETRANGE/SETBIT/BITFIELD offsets), in bytes: Upstash's maximum record size. */
  maxValueBytes: z
    .number({ error: 'maxValueBytes (--max-value-bytes) must be a number of bytes' })
    .int()
    .min(1024, 'maxValueBytes (--max-value-bytes) must be at least 1024 bytes')
    .default(100 * 1024 * 1024),
  /** Most commands in one /pipeline or /multi-exec request; more gets 413. */
  maxCommands: z
    .number({ error: 'maxCommands (--max-commands) must be a number' })
    .int()
    .min(1, 'maxCommands (--max-commands) must be at least 1')
    .max(1_000_000, 'maxCommands (--max-commands) must be at most 1000000')
    .default(10_000),
  /** Bytes of request bodies and replies held at once across all requests; beyond it new requests get 503 with Retry-After. */
  maxInflightBytes: z
    .number({ error: 'maxInflightBytes (--max-inflight-bytes) must be a number of bytes' })
    .int()
    .min(1024 * 1024, 'maxInflightBytes (--max-inflight-bytes) must be at least 1 MB')
    .default(32 * 1024 * 1024),
  /** Dedicated Redis connections (blocking commands, subscriptions) open at once; more gets 429. */
  maxBlocking: z
    .number({ error: 'maxBlocking (--max-blocking) must be a number' })
    .int()
    .min(1, 'maxBlocking (--max-blocking) must be at least 1')
    .max(10_000, 'maxBlocking (--max-blocking) must be at most 10000')
    .default(100),
  /** A Lua script or function running longer is stopped (SCRIPT KILL / FUNCTION KILL on a separate connection). */
  scriptTimeoutMs: z
    .number({ error: 'scriptTimeoutMs (--script-timeout) must be a number of ms' })
    .int()
    .min(100, 'scriptTimeoutMs (--script-timeout) must be at least 100 ms')
    .default(5_000),
})

export type EndpointOptions = z.input<typeof endpointOptionsSchema>

/** The options once validated, every default filled in. */
export type EndpointConfig = z.output<typeof endpointOptionsSchema>
