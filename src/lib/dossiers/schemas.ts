import { z } from 'zod'

/**
 * The dossier inputs, validated the same way by the API (route handlers) and the pages (server
 * actions). Messages name the field and say what was expected.
 */
export const DOSSIER_STATUSES = ['OPEN', 'IN_PROGRESS', 'CLOSED', 'ARCHIVED'] as const
export type DossierStatusValue = (typeof DOSSIER_STATUSES)[number]

const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, { error: `${field} must not be empty` })
    .max(max, { error: `${field} must be at most ${max} characters` })
    // Control characters (other than newlines and tabs) have no place in a case file and break logs;
    // bidirectional overrides and zero-width characters can disguise what a text says.
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]*$/, {
      error: `${field} must not contain control, zero-width or text-direction characters`,
    })
    // A lone UTF-16 surrogate is not text: the database would refuse it later.
    .refine((s) => s.isWellFormed(), { error: `${field} must be valid Unicode text` })

export const dossierStatusSchema = z.enum(DOSSIER_STATUSES, {
  error: `status must be one of ${DOSSIER_STATUSES.join(', ')}`,
})

/** A dossier's reference, unique in its cabinet: DUP-2026-014. */
const referenceSchema = text('reference', 50).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, {
  error: 'reference must be letters, digits, ".", "_", "/" or "-", e.g. DUP-2026-014',
})

export const newDossierSchema = z
  .object({
    title: text('title', 200),
    clientName: text('clientName', 200),
    reference: referenceSchema.optional(),
    description: z.union([text('description', 10_000), z.literal('').transform(() => undefined), z.null()]).optional(),
    status: dossierStatusSchema.optional(),
  })
  .strict()
export type NewDossierInput = z.input<typeof newDossierSchema>
export type NewDossier = z.output<typeof newDossierSchema>

export const dossierPatchSchema = z
  .object({
    title: text('title', 200),
    clientName: text('clientName', 200),
    // Another dossier of the cabinet already using it → 409.
    reference: referenceSchema,
    // null or "" clears it.
    description: z.union([text('description', 10_000), z.literal('').transform(() => null), z.null()]),
    status: dossierStatusSchema,
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, {
    error: 'give at least one of title, clientName, reference, description, status',
  })
export type DossierPatch = z.output<typeof dossierPatchSchema>

/** A list page's cursor (nextCursor / prevCursor of a previous page): `<base-36 ms>.<id>`. */
const cursorParam = (name: string) =>
  z.string({ error: `${name} must be given once` }).regex(/^[0-9a-z]{1,12}\.[A-Za-z0-9_-]{1,64}$/, {
    error: `${name} must be a nextCursor or prevCursor given by a previous page`,
  })

/**
 * The list's orders. `creation` (newest first) is the cached, keyset-paged default; the others are
 * computed per request over the cabinet's short columns (as a search is), then paged after the row
 * named by the cursor: `maj` last update first, `echeance` soonest next deadline first (confirmed,
 * not done; dossiers without one last), `reference` and `client` alphabetical.
 */
export const DOSSIER_SORTS = ['creation', 'maj', 'echeance', 'reference', 'client'] as const
export type DossierSort = (typeof DOSSIER_SORTS)[number]

/**
 * The list's query string, each parameter at most once, nothing else: `status`, `sort` (DOSSIER_SORTS), `q` (search in title,
 * client or reference), `cursor` (the page after) or `before` (the page before), `limit` (1-100, default 50).
 */
export const listQuerySchema = z
  .object({
    status: dossierStatusSchema.optional(),
    q: z
      .string({ error: 'q must be given once' })
      .trim()
      .max(200, { error: 'q must be at most 200 characters' })
      .optional()
      .transform((v) => v || undefined),
    sort: z.enum(DOSSIER_SORTS, { error: `sort must be one of ${DOSSIER_SORTS.join(', ')}` }).optional(),
    cursor: cursorParam('cursor').optional(),
    before: cursorParam('before').optional(),
    limit: z
      .string({ error: 'limit must be given once' })
      .regex(/^\d{1,3}$/, { error: 'limit must be a whole number from 1 to 100' })
      .transform(Number)
      .refine((n) => n >= 1 && n <= 100, { error: 'limit must be a whole number from 1 to 100' })
      .optional(),
  })
  .strict()
  .refine((p) => !(p.cursor && p.before), { error: 'give cursor or before, not both', path: ['before'] })

/** The query string as an object for listQuerySchema; a repeated parameter is an error, not "the last one wins". */
export function queryObject(url: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of new URL(url).searchParams) {
    const prev = out[k]
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v]
  }
  return out
}

/** A dossier id in a URL: a cuid, or anything short and plain (never reaches SQL unescaped, but keeps cache keys sane). */
export const dossierIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'not a dossier id' })

/** The dossier id of a URL or a form, or null when it cannot be one (answered like any unknown dossier). The one place ids are parsed. */
export function parseDossierId(raw: unknown): string | null {
  const parsed = dossierIdSchema.safeParse(raw)
  return parsed.success ? parsed.data : null
}
