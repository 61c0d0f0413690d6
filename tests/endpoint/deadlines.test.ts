import { describe, expect, it } from 'vitest'
import { Deadlines } from '@/upstash-local/deadlines'

/** The endpoint's single-timer timeouts (a 50 ms timeout, real time). */
describe('Deadlines', () => {
  const never = () => new Promise<never>(() => {})

  it('passes results and errors through, and rejects only the promises still pending after the timeout', async () => {
    const d = new Deadlines(50, () => new Error('late'))
    const started = performance.now()
    const settled = await Promise.allSettled([
      d.bound(Promise.resolve('fast')),
      d.bound(Promise.reject(new Error('own error'))),
      d.bound(never()),
      d.bound(new Promise((resolve) => setTimeout(() => resolve('in time'), 10))),
      d.bound(never()),
    ])
    const elapsed = performance.now() - started
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      'fast',
      'own error',
      'late',
      'in time',
      'late',
    ])
    expect(elapsed).toBeGreaterThanOrEqual(49)
    expect(elapsed).toBeLessThan(500)
    d.close()
  })

  it('gives each promise its own deadline, counted from when it was bound', async () => {
    const d = new Deadlines(50, () => new Error('late'))
    const first = d.bound(never()).catch(() => performance.now())
    await new Promise((r) => setTimeout(r, 30))
    const boundAt = performance.now()
    const second = d.bound(never()).catch(() => performance.now())
    const [, secondAt] = await Promise.all([first, second])
    // Rejected about 50 ms after it was bound, not when the first one expired.
    expect(secondAt - boundAt).toBeGreaterThanOrEqual(49)
    d.close()
  })

  it('handles thousands of promises with one timer (settled ones are dropped, the pending one still expires)', async () => {
    const d = new Deadlines(50, () => new Error('late'))
    const fast = await Promise.all(Array.from({ length: 5000 }, (_, i) => d.bound(Promise.resolve(i))))
    expect(fast[4999]).toBe(4999)
    await expect(d.bound(never())).rejects.toThrow('late')
    d.close()
  })
})
