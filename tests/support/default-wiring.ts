import { afterAll, beforeAll } from 'vitest'
import { prisma } from '@/lib/core/prisma'
import { closeMailer } from '@/lib/mail/transport'
import { tempDatabase } from '../../testing/database'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'
import { startTestSmtp, type TestSmtp } from './smtp'

export interface DefaultWiring {
  /** From the file's first hook on. */
  readonly stack: Stack
  readonly smtp: TestSmtp
  /** The database file (its migrations applied before the tests). */
  readonly db: { url: string; file: string }
}

/**
 * The app's default wiring (process-wide queue, sessions, database and mailer) on servers of its own, for the
 * test file that calls this at its top. Before its tests: a private stack, a real SMTP server and a database
 * file (migrations applied), and process.env pointed at them, with a key prefix of `label`'s and `env` on top
 * (MAIL_FROM, APP_ORIGIN...), before any first use of the process-wide helpers, which read the environment
 * then. The file's own beforeAll, registered after this one, runs after it. After its tests: the mailer, the
 * servers and the process-wide Prisma client closed, the database removed.
 */
export function useDefaultWiring(label: string, env: Record<string, string>): DefaultWiring {
  const db = tempDatabase(label)
  let stack: Stack | undefined
  let smtp: TestSmtp | undefined
  beforeAll(async () => {
    stack = await startStack()
    smtp = await startTestSmtp()
    Object.assign(process.env, stack.env, {
      REDIS_ENABLED: 'true',
      UPSTASH_DISABLE_TELEMETRY: 'true',
      REDIS_KEY_PREFIX: uniquePrefix(label),
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      ...env,
    })
  })
  afterAll(async () => {
    closeMailer()
    await smtp?.stop()
    await stack?.stop()
    await prisma.$disconnect()
    db.remove()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the default wiring is used before its beforeAll ran')
    return value
  }
  return {
    db,
    get stack() {
      return started(stack)
    },
    get smtp() {
      return started(smtp)
    },
  }
}
