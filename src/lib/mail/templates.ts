import { DEADLINE_KIND_LABELS, type DeadlineKind } from '@/lib/core/deadline-kinds'
import { formatDateTimeFr } from '@/lib/core/paris-time'

/**
 * The French e-mails, each in plain text and HTML. Every value from a user (titles, names, references)
 * goes through escapeHtml in the HTML part; links are built by the app, never taken from input.
 */

export interface RenderedEmail {
  subject: string
  text: string
  html: string
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

/** A subject line: one line, bounded (a title with a line break must not inject a header; nodemailer encodes, this keeps it readable). */
function subjectLine(s: string): string {
  const one = s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim()
  return one.length > 180 ? `${one.slice(0, 179)}…` : one
}

function layout(title: string, bodyHtml: string, footer: string): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:24px;background:#f5f5f4;font-family:Arial,Helvetica,sans-serif;color:#1c1917">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
${bodyHtml}
<p style="margin-top:32px;font-size:12px;color:#57534e">${escapeHtml(footer)}</p>
</div></body></html>`
}

function button(href: string, label: string): string {
  return `<p style="margin:24px 0"><a href="${escapeHtml(href)}" style="background:#1d4ed8;color:#ffffff;padding:12px 18px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(label)}</a></p>
<p style="font-size:12px;color:#57534e">Si le bouton ne fonctionne pas, copiez ce lien : <br>${escapeHtml(href)}</p>`
}

const FOOTER = 'IA Poste Manager · message automatique, merci de ne pas y répondre.'

export interface DeadlineReminderView {
  recipientName: string
  cabinetName: string
  dossier: { reference: string; title: string }
  deadline: { title: string; kind: DeadlineKind; dueAt: Date }
  /** « 7 jours », « 1 jour »… (how far ahead this reminder was set). */
  offsetText: string
  dossierUrl: string
}

export function renderDeadlineReminder(v: DeadlineReminderView): RenderedEmail {
  const kind = DEADLINE_KIND_LABELS[v.deadline.kind]
  const when = formatDateTimeFr(v.deadline.dueAt)
  const subject = subjectLine(
    `Rappel : ${kind.toLowerCase()} « ${v.deadline.title} » le ${when} (${v.dossier.reference})`,
  )
  const greeting = v.recipientName ? `Bonjour ${v.recipientName},` : 'Bonjour,'
  const text = [
    greeting,
    '',
    `Rappel à ${v.offsetText} de l’échéance suivante :`,
    '',
    `  ${kind} : ${v.deadline.title}`,
    `  Date : ${when} (heure de Paris)`,
    `  Dossier : ${v.dossier.reference} · ${v.dossier.title}`,
    '',
    `Ouvrir le dossier : ${v.dossierUrl}`,
    '',
    `— ${v.cabinetName}`,
    FOOTER,
  ].join('\n')
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting)}</p>
<p>Rappel à ${escapeHtml(v.offsetText)} de l’échéance suivante :</p>
<table role="presentation" style="border-collapse:collapse;margin:16px 0">
<tr><th scope="row" style="text-align:left;padding:4px 12px 4px 0">${escapeHtml(kind)}</th><td style="padding:4px 0">${escapeHtml(v.deadline.title)}</td></tr>
<tr><th scope="row" style="text-align:left;padding:4px 12px 4px 0">Date</th><td style="padding:4px 0"><strong>${escapeHtml(when)}</strong> (heure de Paris)</td></tr>
<tr><th scope="row" style="text-align:left;padding:4px 12px 4px 0">Dossier</th><td style="padding:4px 0">${escapeHtml(v.dossier.reference)} · ${escapeHtml(v.dossier.title)}</td></tr>
</table>
${button(v.dossierUrl, 'Ouvrir le dossier')}
<p>— ${escapeHtml(v.cabinetName)}</p>`,
    FOOTER,
  )
  return { subject, text, html }
}

export const ROLE_LABELS_FR = {
  ADMIN: 'administrateur(trice)',
  AVOCAT: 'avocat(e)',
  ASSISTANT: 'assistant(e) juridique',
} as const

/** « en tant qu’avocat(e) », « en tant qu’assistant(e) » : French elides « que » before a vowel. */
const asRole = (role: keyof typeof ROLE_LABELS_FR) => {
  const label = ROLE_LABELS_FR[role]
  return /^[aeiouyéèêh]/i.test(label) ? `qu’${label}` : `que ${label}`
}

export interface InvitationView {
  cabinetName: string
  inviterName: string
  role: keyof typeof ROLE_LABELS_FR
  link: string
  expiresAt: Date
}

/** The guide's `template: 'welcome'`: an invitation to join a cabinet. */
export function renderInvitation(v: InvitationView): RenderedEmail {
  const subject = subjectLine(`Invitation à rejoindre ${v.cabinetName} sur IA Poste Manager`)
  const until = formatDateTimeFr(v.expiresAt)
  const who = v.inviterName || 'Un administrateur'
  const text = [
    'Bonjour,',
    '',
    `${who} vous invite à rejoindre ${v.cabinetName} sur IA Poste Manager en tant ${asRole(v.role)}.`,
    '',
    `Pour accepter, choisissez votre mot de passe ici : ${v.link}`,
    '',
    `Ce lien ne sert qu’une fois et expire le ${until}.`,
    'Si vous n’attendiez pas cette invitation, ignorez ce message.',
    '',
    FOOTER,
  ].join('\n')
  const html = layout(
    subject,
    `<p>Bonjour,</p>
<p>${escapeHtml(who)} vous invite à rejoindre <strong>${escapeHtml(v.cabinetName)}</strong> sur IA Poste Manager en tant ${escapeHtml(asRole(v.role))}.</p>
${button(v.link, 'Accepter l’invitation')}
<p>Ce lien ne sert qu’une fois et expire le ${escapeHtml(until)}.</p>
<p>Si vous n’attendiez pas cette invitation, ignorez ce message.</p>`,
    FOOTER,
  )
  return { subject, text, html }
}

export interface PasswordResetView {
  name: string
  link: string
  expiresAt: Date
}

export function renderPasswordReset(v: PasswordResetView): RenderedEmail {
  const subject = 'Réinitialisation de votre mot de passe IA Poste Manager'
  const until = formatDateTimeFr(v.expiresAt)
  const greeting = v.name ? `Bonjour ${v.name},` : 'Bonjour,'
  const text = [
    greeting,
    '',
    'Une réinitialisation du mot de passe de votre compte IA Poste Manager a été demandée.',
    `Pour choisir un nouveau mot de passe : ${v.link}`,
    '',
    `Ce lien ne sert qu’une fois et expire le ${until}. Une fois le mot de passe changé, toutes vos sessions ouvertes sont fermées.`,
    'Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.',
    '',
    FOOTER,
  ].join('\n')
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting)}</p>
<p>Une réinitialisation du mot de passe de votre compte IA Poste Manager a été demandée.</p>
${button(v.link, 'Choisir un nouveau mot de passe')}
<p>Ce lien ne sert qu’une fois et expire le ${escapeHtml(until)}. Une fois le mot de passe changé, toutes vos sessions ouvertes sont fermées.</p>
<p>Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.</p>`,
    FOOTER,
  )
  return { subject, text, html }
}
