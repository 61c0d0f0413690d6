/**
 * A real SMTP receiver (smtp-server + mailparser) for development and tests: `npm run dev` needs no mail
 * server. It listens on 127.0.0.1 only, without TLS or authentication, parses each message and keeps the
 * last MAIL_CATCHER_KEEP in .data/caught-mail.json for the dev-only page (listCaughtMail). Never started
 * in production or when SMTP_URL is set.
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { simpleParser, type AddressObject } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { CAUGHT_MAIL_FILE, caughtMailLimit, storeCaughtMail, type CaughtMail } from './caught-mail'

export interface MailCatcherOptions {
  port?: number
  /** Keep messages in this file (default .data/caught-mail.json); null keeps them in memory only. */
  file?: string | null
  keep?: number
  /** Called with every message once stored. */
  onMessage?: (mail: CaughtMail) => void
  /**
   * Decides on each RCPT TO: return an SMTP reply to refuse it (`{ code: 550, message }` permanent,
   * 4xx transient), or nothing to accept. Tests use it to play a failing server.
   */
  onRecipient?: (address: string) => { code: number; message: string } | void
}

export interface MailCatcher {
  /** smtp://127.0.0.1:<port>: what SMTP_URL should be. */
  url: string
  port: number
  /** The messages of this catcher, oldest first (also those not kept in the file). */
  messages(): CaughtMail[]
  stop(): Promise<void>
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? '')).filter(Boolean)
}

export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const file = options.file === undefined ? CAUGHT_MAIL_FILE : options.file
  const keep = options.keep ?? caughtMailLimit()
  const received: CaughtMail[] = []
  const server = new SMTPServer({
    // No STARTTLS (its self-signed certificate would be refused by nodemailer) and no AUTH: loopback only.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // Stopping waits this long at most for clients still connected (a sender's idle pooled connection).
    closeTimeout: 1_000,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const refusal = options.onRecipient?.(address.address)
      if (!refusal) return callback()
      const err = new Error(refusal.message) as Error & { responseCode: number }
      err.responseCode = refusal.code
      callback(err)
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const mail: CaughtMail = {
            id: randomUUID(),
            receivedAt: new Date().toISOString(),
            from: parsed.from?.text ?? '',
            // The envelope's recipients (what the server accepted), not only the To header.
            to: session.envelope.rcptTo.map((r) => r.address).filter(Boolean).length
              ? session.envelope.rcptTo.map((r) => r.address)
              : addresses(parsed.to),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : null,
          }
          received.push(mail)
          if (file) storeCaughtMail(mail, keep, file)
          options.onMessage?.(mail)
          callback()
        })
        .catch((err: Error) => callback(err))
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  server.on('error', () => {}) // a client's broken connection must not crash the dev server
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => [...received],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * For scripts/dev.ts, before it starts the app and the worker (they inherit the environment):
 * when SMTP_URL is unset outside production, starts the catcher on a free port and sets SMTP_URL to it.
 * Returns what stops it (a no-op when it did not start).
 */
export async function startDevMailCatcher(
  env: Record<string, string | undefined> = process.env,
  options: { file?: string } = {},
): Promise<() => Promise<void>> {
  if (env.SMTP_URL?.trim() || env.NODE_ENV === 'production') return async () => {}
  const file = options.file ?? CAUGHT_MAIL_FILE
  const keep = caughtMailLimit(env)
  const catcher = await startMailCatcher({ file, keep })
  env.SMTP_URL = catcher.url
  console.log(
    `[dev] mail catcher ${catcher.url}: e-mails are caught, not sent (the last ${keep} in ${file}, listed by the dev mail page)`,
  )
  return catcher.stop
}
