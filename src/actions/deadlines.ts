'use server'
import { refresh } from 'next/cache'
import type { ZodError } from 'zod'
import { HttpError } from '@/lib/core/http-error'
import { authedAction } from '@/lib/request/action'
import type { RequestContext } from '@/lib/request/context'
import { RedisDisabledError, RedisUnavailableError } from '@/lib/upstash'
import { deadlineCreateSchema, deadlineUpdateSchema } from '@/lib/deadlines/schemas'
import { deadlines } from '@/lib/deadlines/service'

/**
 * The deadline forms of the dossier page and the agenda: the same schemas and service as the API (every
 * role may: assistants keep the agenda). The cabinet is the session's; another cabinet's id is "gone".
 * Invalid input writes nothing and comes back with the values as typed and one French message per field.
 */
export type DeadlineField = 'title' | 'dueAt' | 'kind'
export type DeadlineValues = Record<DeadlineField, string>
export interface DeadlineFormState {
  values: DeadlineValues
  errors: Partial<Record<DeadlineField | 'form', string>>
  /** Set on success (a new value each time, so the form can reset and announce it). */
  saved?: { at: number; message: string }
}

const FIELDS: DeadlineField[] = ['title', 'dueAt', 'kind']
const GONE = 'Cette échéance n’existe pas ou plus.'
const UNAVAILABLE = 'Les rappels sont momentanément indisponibles : rien n’a été enregistré. Réessayez dans un instant.'

function valuesOf(form: FormData): DeadlineValues {
  const get = (f: string) => (typeof form.get(f) === 'string' ? (form.get(f) as string) : '')
  return Object.fromEntries(FIELDS.map((f) => [f, get(f)])) as DeadlineValues
}

/** The schema's issues (English, for the API) as one French message per field. */
function frenchIssues(error: ZodError, values: DeadlineValues): DeadlineFormState['errors'] {
  const out: DeadlineFormState['errors'] = {}
  for (const issue of error.issues) {
    const field = issue.path[0]
    if (field === 'title' && !out.title)
      out.title =
        issue.code === 'too_big' ? 'Le titre ne doit pas dépasser 200 caractères.' : 'Le titre est obligatoire.'
    else if (field === 'dueAt' && !out.dueAt)
      out.dueAt =
        values.dueAt.trim() === ''
          ? 'La date et l’heure sont obligatoires.'
          : 'Saisissez une date et une heure valides (ex. 12/01/2027 à 09:30, années 2000 à 2199).'
    else if (field === 'kind' && !out.kind) out.kind = 'Choisissez un type d’échéance dans la liste.'
    else if (field === undefined && !out.form) out.form = 'Le formulaire contient une erreur.'
  }
  return out
}

/** The input the schemas expect: the kind left out when empty (the service's default, « Autre échéance »). */
function inputOf(values: DeadlineValues) {
  return {
    title: values.title,
    dueAt: values.dueAt,
    ...(values.kind ? { kind: values.kind } : {}),
  }
}

/** A service refusal as the form's message; anything else is a real error (the error page). */
function formError(err: unknown): string {
  if (err instanceof HttpError && err.status === 404) return GONE
  if (err instanceof HttpError && err.status === 400) return 'Le formulaire contient une erreur.'
  if (err instanceof HttpError && err.status === 503) return UNAVAILABLE
  if (err instanceof RedisUnavailableError || err instanceof RedisDisabledError) return UNAVAILABLE
  throw err
}

/** « Ajouter l’échéance » on the dossier page: a confirmed deadline, its reminders scheduled. */
export const createDeadlineAction = authedAction(
  (dossierId) => `/dossiers/${dossierId}`,
  async (
    ctx: RequestContext,
    dossierId: string,
    _prev: DeadlineFormState,
    form: FormData,
  ): Promise<DeadlineFormState> => {
    const values = valuesOf(form)
    const parsed = deadlineCreateSchema.safeParse(inputOf(values))
    if (!parsed.success) return { values, errors: frenchIssues(parsed.error, values) }
    try {
      await deadlines().create({ cabinetId: ctx.tenantId, userId: ctx.userId }, dossierId, inputOf(values))
    } catch (err) {
      const message = formError(err)
      return { values, errors: { form: message === GONE ? 'Ce dossier n’existe pas ou plus.' : message } }
    }
    refresh()
    return {
      values: { title: '', dueAt: '', kind: '' },
      errors: {},
      saved: { at: Date.now(), message: `Échéance « ${parsed.data.title} » ajoutée.` },
    }
  },
)

/** Which deadline a « Modifier » panel edits, where it is shown, and whether saving confirms a proposal. */
export interface DeadlineTarget {
  back: string
  deadlineId: string
  confirm: boolean
}

/**
 * « Enregistrer » in a deadline's « Modifier » panel. For a proposal from the analysis, the panel's button is
 * « Enregistrer et confirmer »: the lawyer corrected it, so it is theirs now (reminders scheduled).
 */
export const updateDeadlineAction = authedAction(
  (target) => target.back,
  async (
    ctx: RequestContext,
    { deadlineId, confirm }: DeadlineTarget,
    _prev: DeadlineFormState,
    form: FormData,
  ): Promise<DeadlineFormState> => {
    const values = valuesOf(form)
    const parsed = deadlineUpdateSchema.safeParse(inputOf(values))
    if (!parsed.success) return { values, errors: frenchIssues(parsed.error, values) }
    const who = { cabinetId: ctx.tenantId, userId: ctx.userId }
    try {
      await deadlines().update(who, deadlineId, inputOf(values))
      if (confirm) await deadlines().confirm(who, deadlineId)
    } catch (err) {
      return { values, errors: { form: formError(err) } }
    }
    refresh()
    return {
      values,
      errors: {},
      saved: { at: Date.now(), message: confirm ? 'Échéance confirmée.' : 'Échéance enregistrée.' },
    }
  },
)

/** The one-button forms (fait / rouvrir, confirmer, ignorer, supprimer): a deadline already gone is simply no longer shown. */
async function quietly(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn()
  } catch (err) {
    // 404: deleted meanwhile (or never this cabinet's); 409: a proposal confirmed meanwhile cannot be ignored.
    if (!(err instanceof HttpError && (err.status === 404 || err.status === 409))) throw err
  }
  refresh()
}

/** « Marquer comme faite » / « Rouvrir ». */
export const setDeadlineDoneAction = authedAction(
  (back) => back,
  async (ctx: RequestContext, _back: string, deadlineId: string, done: boolean): Promise<void> =>
    quietly(() => deadlines().update({ cabinetId: ctx.tenantId, userId: ctx.userId }, deadlineId, { done })),
)

/** « Confirmer » a proposal from the analysis: its reminders are scheduled. */
export const confirmDeadlineAction = authedAction(
  (back) => back,
  async (ctx: RequestContext, _back: string, deadlineId: string): Promise<void> =>
    quietly(() => deadlines().confirm({ cabinetId: ctx.tenantId, userId: ctx.userId }, deadlineId)),
)

/** « Ignorer » a proposal: hidden for good (never proposed again). */
export const dismissDeadlineAction = authedAction(
  (back) => back,
  async (ctx: RequestContext, _back: string, deadlineId: string): Promise<void> =>
    quietly(() => deadlines().dismiss({ cabinetId: ctx.tenantId, userId: ctx.userId }, deadlineId)),
)

/** « Supprimer définitivement » (after the confirmation step): its reminders are cancelled. */
export const deleteDeadlineAction = authedAction(
  (back) => back,
  async (ctx: RequestContext, _back: string, deadlineId: string): Promise<void> =>
    quietly(() => deadlines().remove({ cabinetId: ctx.tenantId, userId: ctx.userId }, deadlineId)),
)
