import { RedisInputError } from './errors'

/**
 * Values the helpers store are JSON. This rejects what JSON would silently corrupt or drop
 * (circular structures, BigInt, functions, symbols, undefined, NaN/Infinity), naming the path,
 * so that nothing half-written ever reaches Redis.
 */
export function encodeJson(value: unknown, what: string, maxBytes?: number): string {
  const problem = findUnserialisable(value, what, new Set(), 0)
  if (problem) throw new RedisInputError(problem)
  const json = JSON.stringify(value)
  if (maxBytes !== undefined) {
    const size = Buffer.byteLength(json)
    if (size > maxBytes)
      throw new RedisInputError(`${what} is ${size} bytes of JSON, over the limit of ${maxBytes} bytes`)
  }
  return json
}

/** Parses what encodeJson wrote; null for a missing value. */
export function decodeJson<T>(raw: unknown): T | null {
  if (raw === null || raw === undefined) return null
  if (typeof raw !== 'string') return raw as T
  return JSON.parse(raw) as T
}

/**
 * Deepest nesting of objects and arrays a stored value may have. Real data is a few levels deep;
 * thousands of levels would overflow the stack (a RangeError, i.e. a 500) here or in JSON.stringify.
 */
export const MAX_JSON_DEPTH = 256

function findUnserialisable(value: unknown, path: string, seen: Set<object>, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot represent`
    case 'bigint':
      return `${path} is a BigInt, which JSON cannot represent (convert it to a string first)`
    case 'function':
      return `${path} is a function, which cannot be stored`
    case 'symbol':
      return `${path} is a symbol, which cannot be stored`
    case 'undefined':
      return `${path} is undefined, which JSON drops (use null)`
  }
  if (value === null) return undefined
  const obj = value as object
  if (seen.has(obj)) return `${path} is a circular reference`
  if (depth >= MAX_JSON_DEPTH)
    return `${path.length > 80 ? `${path.slice(0, 80)}…` : path} is nested more than ${MAX_JSON_DEPTH} levels deep, which is not stored (flatten it)`
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return undefined // Date and friends serialise themselves
  seen.add(obj)
  try {
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        const p = findUnserialisable(obj[i], `${path}[${i}]`, seen, depth + 1)
        if (p) return p
      }
      return undefined
    }
    if (obj instanceof Map || obj instanceof Set)
      return `${path} is a ${obj.constructor.name}, which JSON turns into {} (convert it first)`
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue // JSON.stringify omits undefined properties: same as absent
      const p = findUnserialisable(v, `${path}.${k}`, seen, depth + 1)
      if (p) return p
    }
    return undefined
  } finally {
    seen.delete(obj)
  }
}
