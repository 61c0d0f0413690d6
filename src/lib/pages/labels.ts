import type { ZodError } from 'zod'
import { formatRelativeFr } from '@/lib/core/paris-time'
import type { DossierStatusValue } from '@/lib/dossiers/schemas'

/** French labels of what the pages show. */
export const DOSSIER_STATUS_LABELS: Record<DossierStatusValue, string> = {
  OPEN: 'Ouvert',
  IN_PROGRESS: 'En cours',
  CLOSED: 'Clôturé',
  ARCHIVED: 'Archivé',
}

export type AnalysisStatusValue = 'NONE' | 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED'

export const ANALYSIS_STATUS_LABELS: Record<AnalysisStatusValue, string> = {
  NONE: 'Aucune analyse',
  QUEUED: 'En attente',
  RUNNING: 'En cours',
  DONE: 'Terminée',
  FAILED: 'Échec',
}

/** Roles as functions, not genders: the app does not know who is Madame or Monsieur. */
export const ROLE_LABELS: Record<string, string> = {
  ADMIN: 'Administrateur(trice)',
  AVOCAT: 'Avocat(e)',
  ASSISTANT: 'Assistant(e) juridique',
}

/** The cabinet's plan as the header names it. */
export const PLAN_LABELS: Record<string, string> = { FREE: 'Offre gratuite', PREMIUM: 'Offre Premium' }

/** The dossier form's fields, as the zod schemas name them. */
export type DossierField = 'title' | 'clientName' | 'reference' | 'description' | 'status'

const FIELD_NAMES: Record<DossierField, { label: string; article: string }> = {
  title: { label: 'titre', article: 'Le titre' },
  clientName: { label: 'client', article: 'Le nom du client' },
  reference: { label: 'référence', article: 'La référence' },
  description: { label: 'description', article: 'La description' },
  status: { label: 'statut', article: 'Le statut' },
}

/**
 * The schema's issues (English, for the API) as one French message per field, for the forms.
 * Issues on no field (e.g. "give at least one of…") go under `form`.
 */
export function frenchIssues(error: ZodError): Partial<Record<DossierField | 'form', string>> {
  const out: Partial<Record<DossierField | 'form', string>> = {}
  for (const issue of error.issues) {
    const field = issue.path[0] as DossierField | undefined
    const key = field && field in FIELD_NAMES ? field : 'form'
    if (out[key]) continue
    if (key === 'form') {
      out.form = 'Le formulaire contient une erreur.'
      continue
    }
    const { article } = FIELD_NAMES[key]
    const feminine = key === 'reference' || key === 'description'
    switch (issue.code) {
      case 'too_small':
        out[key] = `${article} est obligatoire.`
        break
      case 'too_big':
        out[key] =
          `${article} ne doit pas dépasser ${String((issue as { maximum?: number | bigint }).maximum)} caractères.`
        break
      case 'invalid_format':
        out[key] =
          key === 'reference'
            ? 'La référence ne peut contenir que des lettres, chiffres, « . », « _ », « / » ou « - » (ex. DUP-2026-014).'
            : `${article} contient des caractères non autorisés.`
        break
      case 'invalid_value':
        out[key] = `${article} choisi${feminine ? 'e' : ''} n’existe pas.`
        break
      default:
        out[key] = `${article} n’est pas valide.`
    }
  }
  return out
}

const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Paris' })
const dateOnly = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeZone: 'Europe/Paris' })

export const formatDateTime = (d: Date | string) => dateTime.format(new Date(d))
export const formatDate = (d: Date | string) => dateOnly.format(new Date(d))
export const formatNumber = (n: number, digits = 0) =>
  new Intl.NumberFormat('fr-FR', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n)

/** How long ago (or until): « à l’instant » within a minute, then « il y a 5 minutes », « hier », « dans 3 jours ». */
export const formatRelative = (d: Date, now: Date = new Date()) =>
  Math.abs(d.getTime() - now.getTime()) < 60_000 ? 'à l’instant' : formatRelativeFr(d, now)
