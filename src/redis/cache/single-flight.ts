/**
 * In-process single-flight: while a call for a key is running, later calls for the same key share
 * its promise instead of starting another. This is what keeps 50 concurrent cache misses in one
 * process down to one loader call; the Redis lock in get-or-set.ts does the same across processes.
 */
export interface SingleFlight {
  /** Runs `fn` for `key`, or joins the call already running for it (same result, same error). */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>
  /** Whether a call for `key` is running (a caller of run would join it). */
  has(key: string): boolean
}

export function createSingleFlight(): SingleFlight {
  const inFlight = new Map<string, Promise<unknown>>()
  return {
    has: (key) => inFlight.has(key),
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const running = inFlight.get(key)
      if (running) return running as Promise<T>
      // Deleted once settled, success or failure, so an error is never "cached" here either.
      const p = Promise.resolve()
        .then(fn)
        .finally(() => inFlight.delete(key))
      inFlight.set(key, p)
      return p
    },
  }
}
