import { EventEmitter } from 'node:events'
import { startMailCatcher, type MailCatcher } from '@/lib/mail/catcher'
import type { CaughtMail } from '@/lib/mail/caught-mail'

/**
 * A real SMTP server for a test file (the app's own catcher: smtp-server + mailparser) on a free port,
 * in memory. It can play a failing server: `refuse(address, code)` answers RCPT TO for that address
 * with `code` (4xx transient, 5xx permanent), `times` times or for good.
 */
export interface TestSmtp {
  /** SMTP_URL for this server. */
  url: string
  messages(): CaughtMail[]
  /** Messages to `address`. */
  to(address: string): CaughtMail[]
  /** Resolves once `count` messages matching `filter` have arrived (rejects after `timeoutMs`, a guard, not a clock). */
  waitFor(count: number, filter?: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail[]>
  refuse(address: string, code: number, times?: number): void
  /** RCPT TO refusals answered so far, per address. */
  refusals(address: string): number
  stop(): Promise<void>
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const events = new EventEmitter()
  const rules = new Map<string, { code: number; left: number }>()
  const refused = new Map<string, number>()
  const catcher: MailCatcher = await startMailCatcher({
    file: null,
    keep: 1000,
    onMessage: (m) => events.emit('message', m),
    onRecipient(address) {
      const rule = rules.get(address.toLowerCase())
      if (!rule || rule.left === 0) return
      rule.left--
      refused.set(address.toLowerCase(), (refused.get(address.toLowerCase()) ?? 0) + 1)
      return {
        code: rule.code,
        message: rule.code >= 500 ? `${address}: no such mailbox here` : `${address}: mailbox busy, try again later`,
      }
    },
  })
  return {
    url: catcher.url,
    messages: () => catcher.messages(),
    to: (address) => catcher.messages().filter((m) => m.to.includes(address.toLowerCase()) || m.to.includes(address)),
    waitFor(count, filter = () => true, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = catcher.messages().filter(filter)
          if (got.length < count) return false
          cleanup()
          resolve(got)
          return true
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(
            new Error(
              `waited ${timeoutMs} ms for ${count} message(s); got ${catcher.messages().filter(filter).length}: ${JSON.stringify(catcher.messages().map((m) => [m.to, m.subject]))}`,
            ),
          )
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          events.off('message', check)
        }
        if (!check()) events.on('message', check)
      })
    },
    refuse(address, code, times = Number.POSITIVE_INFINITY) {
      rules.set(address.toLowerCase(), { code, left: times })
    },
    refusals: (address) => refused.get(address.toLowerCase()) ?? 0,
    stop: () => catcher.stop(),
  }
}
