import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Password hashing with scrypt (node:crypto), a per-user random salt, and a constant-time compare.
 * Stored as `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>` so the cost can be raised later without
 * breaking existing hashes.
 */

/** OWASP's scrypt floor (N=2^17, r=8, p=1) costs 128 MiB per hash; 2^15 keeps logins ~50 ms and 32 MiB. */
const DEFAULT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const
const KEY_BYTES = 32
const SALT_BYTES = 16

/**
 * scrypt runs on libuv's small thread pool (4 threads), which file and DNS work share: a flood of
 * guesses filling it slowed every other request (a page took 9.6 s under 80 guesses). At most
 * MAX_HASHING run at once per instance; a few wait; beyond that a login is refused at once (busy).
 */
const MAX_HASHING = 2
const MAX_WAITING = 16
let hashing = 0
const waiting: (() => void)[] = []

/** Thrown when MAX_HASHING checks run and MAX_WAITING wait: the login answers 503, try again shortly. */
export class PasswordCheckBusyError extends Error {
  override name = 'PasswordCheckBusyError'
}

async function withHashingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashing >= MAX_HASHING) {
    if (waiting.length >= MAX_WAITING) throw new PasswordCheckBusyError('too many password checks in progress')
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  hashing++
  try {
    return await work()
  } finally {
    hashing--
    waiting.shift()?.()
  }
}

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r }
  return withHashingSlot(
    () =>
      new Promise((resolve, reject) =>
        scryptCb(password.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      ),
  )
}

/** A new salted hash of `password`, to store in User.passwordHash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await scrypt(password, salt, DEFAULT_PARAMS)
  const { N, r, p } = DEFAULT_PARAMS
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$')
}

/** A valid hash of a random password: verifying against it costs what a real check costs. */
let dummyHash: Promise<string> | undefined

/**
 * true when `password` matches `stored`. With `stored` null (unknown e-mail) it still runs one full
 * scrypt against a dummy hash and answers false, so timing does not reveal which e-mails exist.
 * A malformed stored hash answers false.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const target = stored ?? (await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))))
  const parts = target.split('$')
  const [scheme, n, r, p, saltB64, hashB64] = parts
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  if (
    parts.length !== 6 ||
    scheme !== 'scrypt' ||
    !Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0)
  ) {
    // Same work as a real check, then no.
    await verifyPassword(password, null)
    return false
  }
  const expected = Buffer.from(hashB64!, 'base64')
  const actual = await scrypt(password, Buffer.from(saltB64!, 'base64'), params)
  const same = expected.length === actual.length && timingSafeEqual(expected, actual)
  return same && stored !== null
}
