import nodemailer, { type Transporter } from 'nodemailer'
import { mailConfig, MailConfigError, redactSmtpUrl, type MailConfig } from './config'
import type { RenderedEmail } from './templates'

/**
 * Sending over SMTP with nodemailer. Bounded: connecting, the greeting and each socket wait time out,
 * so a drain never hangs on a dead server. A failure says whether retrying can help (SmtpError.permanent).
 */

export interface OutgoingEmail extends RenderedEmail {
  to: string
}

export interface SentEmail {
  messageId: string
  accepted: string[]
}

export interface Mailer {
  send(message: OutgoingEmail): Promise<SentEmail>
  /** Closes pooled connections (tests, a worker shutting down). */
  close(): void
}

/** An SMTP failure. `permanent`: the server refused the recipient or the message for good (5xx), or the address is unusable. */
export class SmtpError extends Error {
  override name = 'SmtpError'
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode?: number,
  ) {
    super(message)
  }
}

interface NodemailerError extends Error {
  code?: string
  responseCode?: number
  command?: string
  response?: string
  /** EENVELOPE "all recipients were rejected": each recipient's own refusal, with its reply code. */
  rejectedErrors?: NodemailerError[]
}

/**
 * Transient (retry): no answer, connection refused/reset, timeouts, 4xx (greylisting, mailbox busy),
 * and authentication failures (a configuration problem an operator fixes: the mail waits in the queue,
 * dead-lettered only once out of attempts). Permanent: a 5xx answer to the envelope or the message
 * (unknown mailbox, rejected content), or an address nodemailer itself cannot use.
 */
export function classifySmtpError(err: unknown, smtpUrl?: string | null): SmtpError {
  const e = err as NodemailerError
  // Refused recipients: the reply codes are on each recipient's error, not on the envelope error.
  const codes = [e?.responseCode, ...(e?.rejectedErrors ?? []).map((r) => r.responseCode)].filter(
    (c): c is number => typeof c === 'number',
  )
  const code = codes.length ? Math.min(...codes) : undefined
  // nodemailer's messages may quote the URL's host but never its password; strip any URL credentials anyway.
  let message = String(e?.message ?? err).replace(/\/\/[^/@\s]*@/g, '//***@')
  if (smtpUrl) message = message.split(smtpUrl).join(redactSmtpUrl(smtpUrl))
  const auth = e?.code === 'EAUTH'
  // A 4xx for any recipient (greylisting, mailbox busy) makes the whole attempt worth retrying; an
  // envelope error with no reply code at all is an address nodemailer cannot use.
  const permanent = !auth && (code !== undefined ? code >= 500 && code < 600 : e?.code === 'EENVELOPE')
  return new SmtpError(`${e?.code ? `${e.code}: ` : ''}${message}`.slice(0, 500), permanent, code)
}

/** A mailer on SMTP_URL / MAIL_FROM (or the given config). One pooled transport per mailer. */
export function createSmtpMailer(config: MailConfig = mailConfig()): Mailer {
  let transport: Transporter | undefined
  const send = async (message: OutgoingEmail): Promise<SentEmail> => {
    if (!config.smtpUrl)
      throw new MailConfigError(
        'SMTP_URL is not set: e-mails cannot be sent (npm run dev catches them locally; in production set SMTP_URL=smtp://user:password@host:587)',
      )
    // A small pool: a drain sending a batch of reminders reuses its connections.
    transport ??= nodemailer.createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: 2,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as never)
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      })
      return { messageId: String(info.messageId), accepted: (info.accepted ?? []).map(String) }
    } catch (err) {
      throw classifySmtpError(err, config.smtpUrl)
    }
  }
  return {
    send,
    close() {
      transport?.close()
      transport = undefined
    },
  }
}

let defaultMailer: Mailer | undefined

/** The process's mailer, on the environment's settings. */
export function mailer(): Mailer {
  defaultMailer ??= createSmtpMailer()
  return defaultMailer
}

/** Closes the process's pooled SMTP connections (a worker stopping; tests). */
export function closeMailer(): void {
  defaultMailer?.close()
  defaultMailer = undefined
}
