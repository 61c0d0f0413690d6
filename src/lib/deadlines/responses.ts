import { HttpError } from '@/lib/core/http-error'
import type { IdParam } from '@/lib/request/api'
import { deadlineIdSchema } from './schemas'

/** Another cabinet's deadline and one that does not exist get the very same answer. */
export function deadlineNotFound(): Response {
  return Response.json({ error: 'deadline not found' }, { status: 404 })
}

/** The `[id]` segment of /api/deadlines/[id]: for withAuthAndId. */
export const DEADLINE_ID: IdParam = {
  parse: (raw) => {
    const parsed = deadlineIdSchema.safeParse(raw)
    return parsed.success ? parsed.data : null
  },
  notFound: deadlineNotFound,
}

/** What a PATCH /api/deadlines/:id body asks for. */
export type DeadlinePatch =
  { kind: 'update'; patch: unknown } | { kind: 'confirm'; patch: Record<string, unknown> | null } | { kind: 'dismiss' }

/**
 * A PATCH body may also answer a proposal from the analysis: `status: 'confirmed'` (alone, or with edits
 * applied first) or `status: 'dismissed'` (alone). Everything else goes to the service's schema as it is.
 * 400 naming `status` otherwise (the service's message style: `deadline.status: …`).
 */
export function splitDeadlinePatch(body: unknown): DeadlinePatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('status' in body))
    return { kind: 'update', patch: body }
  const { status, ...rest } = body as Record<string, unknown>
  const edits = Object.keys(rest).length > 0 ? rest : null
  if (status === 'confirmed') return { kind: 'confirm', patch: edits }
  if (status !== 'dismissed')
    throw new HttpError(400, 'deadline.status: status must be "confirmed" or "dismissed" (or left out)')
  if (edits)
    throw new HttpError(400, 'deadline.status: "dismissed" must be sent alone (a dismissed proposal is not edited)')
  return { kind: 'dismiss' }
}
