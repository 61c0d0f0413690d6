import type { IdParam } from '@/lib/request/api'
import type { Read, Written } from '@/lib/tenants/cabinet-cache'
import { parseDossierId } from './schemas'

/** `X-Cache: HIT | MISS | BYPASS` on a cached read. */
export function readHeaders(read: Read<unknown>): Record<string, string> {
  return { 'x-cache': read.cache }
}

/**
 * After a write: says when the cabinet's cached reads could not be invalidated (Redis unreachable
 * after retries), so a client knows other instances may serve the old data until it expires.
 */
export function writeHeaders(write: Written<unknown>): Record<string, string> {
  return write.invalidated ? {} : { 'x-cache-invalidation': 'failed' }
}

const NOT_FOUND = { error: 'dossier not found' }

/** Another cabinet's dossier and a dossier that does not exist get the very same answer. */
export function dossierNotFound(headers: Record<string, string> = {}): Response {
  return Response.json(NOT_FOUND, { status: 404, headers })
}

/** The `[id]` segment of /api/dossiers/[id]/**: for withAuthAndId. */
export const DOSSIER_ID: IdParam = { parse: parseDossierId, notFound: () => dossierNotFound() }
