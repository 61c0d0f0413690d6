import { describe, expect, it } from 'vitest'
import { hashPassword, PasswordCheckBusyError, verifyPassword } from '@/lib/auth/password'

describe('verifyPassword under a flood of guesses', () => {
  it('runs a bounded number of scrypt checks at once: a few wait, the excess is refused at once', async () => {
    const stored = await hashPassword('correct horse')
    // 30 guesses at the same instant (as a flood of logins reaching one instance).
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        verifyPassword(`wrong-${i}`, stored).then(
          (ok) => (ok ? 'match' : 'no'),
          (err: unknown) => err,
        ),
      ),
    )
    const refused = outcomes.filter((o) => o instanceof PasswordCheckBusyError)
    // 2 checks run and 16 wait: those 18 are answered; the other 12 are refused without running scrypt.
    expect(outcomes.filter((o) => o === 'no')).toHaveLength(18)
    expect(refused).toHaveLength(12)
    expect(outcomes.filter((o) => o !== 'no' && !(o instanceof PasswordCheckBusyError))).toEqual([])
    // The flood over, checks run again, and a right password still matches.
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('wrong', stored)).toBe(false)
  })
})
