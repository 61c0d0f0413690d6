import type { Dossier, Prisma, PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'
import type { Json } from '@/lib/tenants/cabinet-cache'
import type { DossierSort, DossierStatusValue } from './schemas'

/**
 * A dossier as lists show it: everything but the description (up to 10 000 characters), so that a
 * list page is bounded in bytes whatever the dossiers hold (50 items of at most ~1.6 kB: < 100 kB),
 * and every page can be cached. The dossier itself (getDossier) has the description.
 */
export type DossierListItem = Omit<Dossier, 'description' | 'contentUpdatedAt'>

/** Dossiers per list page when the caller does not say (and the most it may ask for: DOSSIER_PAGE_MAX). */
export const DOSSIER_PAGE_SIZE = 50
export const DOSSIER_PAGE_MAX = 100

export { DOSSIER_SORTS, type DossierSort } from './schemas'

/** Which page of the cabinet's dossiers (by default newest first: createdAt desc, then id). */
export interface DossierListQuery {
  status?: DossierStatusValue
  /** The order (default `creation`). */
  sort?: DossierSort
  /** Title, client or reference containing this (accents and case ignored), searched in the database. */
  q?: string
  /** The page after this cursor (a page's nextCursor). */
  cursor?: string
  /** The page before this cursor (a page's prevCursor). Not with `cursor`. */
  before?: string
  /** Page size, 1 to DOSSIER_PAGE_MAX (default DOSSIER_PAGE_SIZE). */
  limit?: number
}

/** One page and how to reach its neighbours (null: there is none). */
export interface DossierPage {
  dossiers: DossierListItem[]
  nextCursor: string | null
  prevCursor: string | null
}

/** A page as cached: dates as ISO strings. */
export type PageJson = { dossiers: Json<DossierListItem>[]; nextCursor: string | null; prevCursor: string | null }

export const LIST_FIELDS = {
  id: true,
  tenantId: true,
  reference: true,
  title: true,
  clientName: true,
  status: true,
  createdAt: true,
  updatedAt: true,
} as const

/**
 * Keyset cursors on (createdAt, id), both immutable: a dossier never moves between pages, and a page
 * is one indexed range query however deep. Format `<createdAt ms, base 36>.<id>`: opaque to callers.
 */
export const DOSSIER_CURSOR_PATTERN = /^[0-9a-z]{1,12}\.[A-Za-z0-9_-]{1,64}$/
type Position = { createdAt: Date; id: string }
const encodeCursor = (d: Position): string => `${d.createdAt.getTime().toString(36)}.${d.id}`
function decodeCursor(cursor: string): Position {
  if (!DOSSIER_CURSOR_PATTERN.test(cursor))
    throw new HttpError(400, 'cursor must be a nextCursor or prevCursor given by a previous page')
  const dot = cursor.indexOf('.')
  return { createdAt: new Date(parseInt(cursor.slice(0, dot), 36)), id: cursor.slice(dot + 1) }
}

/** Text as a search compares it: without accents (NFD, marks removed) and in lower case. */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

/** A list query checked and decoded: what loadPage and searchPage take. */
export interface PageRequest {
  tenantId: string
  status?: DossierStatusValue
  limit: number
  after?: Position
  before?: Position
  /** The cache key of this page (searches and other orders are not cached). */
  key: string
  sort: DossierSort
}

/** Checks the query (400 on a bad limit or cursor) and decodes its cursors. */
export function pageRequest(tenantId: string, query: DossierListQuery): PageRequest {
  const limit = query.limit ?? DOSSIER_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1 || limit > DOSSIER_PAGE_MAX)
    throw new HttpError(400, `limit must be a whole number from 1 to ${DOSSIER_PAGE_MAX}`)
  if (query.cursor && query.before) throw new HttpError(400, 'give cursor or before, not both')
  const after = query.cursor ? decodeCursor(query.cursor) : undefined
  const before = query.before ? decodeCursor(query.before) : undefined
  const key = `list:${query.status ?? 'ALL'}:${limit}:${after ? `a${query.cursor}` : before ? `b${query.before}` : 'first'}`
  return { tenantId, status: query.status, limit, after, before, key, sort: query.sort ?? 'creation' }
}

/** One page in list order, one indexed range query (a page before a cursor is read the other way and turned round). */
export async function loadPage(
  prisma: Pick<PrismaClient, 'dossier'>,
  { tenantId, status, limit, after, before }: PageRequest,
): Promise<PageJson> {
  const where: Prisma.DossierWhereInput = { tenantId, ...(status ? { status } : {}) }
  // Newest first is (createdAt desc, id asc).
  const keyset: Prisma.DossierWhereInput | undefined = after
    ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }
    : before
      ? { OR: [{ createdAt: { gt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }] }
      : undefined
  const rows = await prisma.dossier.findMany({
    where: keyset ? { AND: [where, keyset] } : where,
    select: LIST_FIELDS,
    orderBy: before ? [{ createdAt: 'asc' }, { id: 'desc' }] : [{ createdAt: 'desc' }, { id: 'asc' }],
    take: limit + 1,
  })
  const more = rows.length > limit
  const page = rows.slice(0, limit)
  if (before) page.reverse()
  const first = page[0]
  const last = page.at(-1)
  return asJson({
    dossiers: page,
    // Forward: a next page when one more row exists; a previous one whenever we came from somewhere.
    nextCursor: last && (before || more) ? encodeCursor(last) : null,
    prevCursor: first && (after || (before && more)) ? encodeCursor(first) : null,
  })
}

/**
 * A search, as a lawyer types it: accents and case ignored ("equipe" finds "Équipe", "%" is a
 * character), which SQLite's LIKE cannot do; and the orders other than `creation`. The cabinet's short
 * columns (reference, title, client, dates) are read, matched and ordered here, then the page's rows are
 * read by id: a few hundred bytes per dossier, once per request, no Redis command.
 *
 * Paging: in `creation` order the cursors are positions (createdAt, id), as in loadPage. In the other
 * orders a cursor names the row the page starts after (or ends before) and the page is counted from
 * wherever that row is now: a dossier updated meanwhile may move, and if the row was deleted the
 * list starts again at its first page.
 */
export async function searchPage(
  prisma: Pick<PrismaClient, 'dossier' | 'deadline'>,
  { tenantId, status, limit, after, before, sort }: PageRequest,
  q?: string,
): Promise<PageJson> {
  const needle = q ? foldForSearch(q) : ''
  const all = await prisma.dossier.findMany({
    where: { tenantId, ...(status ? { status } : {}) },
    select: { id: true, createdAt: true, updatedAt: true, title: true, clientName: true, reference: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
  })
  let hits = needle
    ? all.filter((d) => [d.title, d.clientName, d.reference].some((f) => foldForSearch(f).includes(needle)))
    : all
  if (sort !== 'creation') {
    const due = sort === 'echeance' ? await nextDeadlines(prisma, tenantId) : new Map<string, Date>()
    hits = [...hits].sort(comparator(sort, due))
  }
  // Rows strictly after a cursor in the list's order (createdAt desc, id asc).
  const beyond = (d: Position, c: Position) =>
    d.createdAt.getTime() < c.createdAt.getTime() || (d.createdAt.getTime() === c.createdAt.getTime() && d.id > c.id)
  let start = 0
  let end = Math.min(hits.length, limit)
  if (sort !== 'creation' && (after || before)) {
    const at = hits.findIndex((d) => d.id === (after ?? before)!.id)
    if (at >= 0 && after) {
      start = at + 1
      end = Math.min(hits.length, start + limit)
    } else if (at >= 0 && before) {
      end = at
      start = Math.max(0, end - limit)
    }
  } else if (after) {
    start = hits.findIndex((d) => beyond(d, after))
    if (start < 0) start = hits.length
    end = Math.min(hits.length, start + limit)
  } else if (before) {
    // The first hit not strictly before the cursor (the cursor's own row included) ends the page.
    end = hits.findIndex((d) => !beyond(before, d))
    if (end < 0) end = hits.length
    start = Math.max(0, end - limit)
  }
  const ids = hits.slice(start, end).map((d) => d.id)
  const rows = await prisma.dossier.findMany({ where: { tenantId, id: { in: ids } }, select: LIST_FIELDS })
  const byId = new Map(rows.map((r) => [r.id, r]))
  const page = ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []))
  return asJson({
    dossiers: page,
    nextCursor: end < hits.length && page.length > 0 ? encodeCursor(hits[end - 1]!) : null,
    prevCursor: start > 0 && page.length > 0 ? encodeCursor(hits[start]!) : null,
  })
}

type SortRow = { id: string; createdAt: Date; updatedAt: Date; title: string; clientName: string; reference: string }
const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true })

/** The order of `sort` (never `creation`, which the database gives), ties broken by id so pages are stable. */
function comparator(sort: DossierSort, due: Map<string, Date>): (a: SortRow, b: SortRow) => number {
  const byId = (a: SortRow, b: SortRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  switch (sort) {
    case 'reference':
      return (a, b) => collator.compare(a.reference, b.reference) || byId(a, b)
    case 'client':
      return (a, b) => collator.compare(a.clientName, b.clientName) || collator.compare(a.title, b.title) || byId(a, b)
    case 'echeance':
      return (a, b) => {
        const da = due.get(a.id)?.getTime() ?? Number.POSITIVE_INFINITY
        const db = due.get(b.id)?.getTime() ?? Number.POSITIVE_INFINITY
        return da === db ? b.updatedAt.getTime() - a.updatedAt.getTime() || byId(a, b) : da < db ? -1 : 1
      }
    default:
      return (a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || byId(a, b)
  }
}

/** Each of the cabinet's dossiers' next deadline: the soonest confirmed one not done (an overdue one included). */
export async function nextDeadlines(
  prisma: Pick<PrismaClient, 'deadline'>,
  tenantId: string,
): Promise<Map<string, Date>> {
  const groups = await prisma.deadline.groupBy({
    by: ['dossierId'],
    where: { tenantId, status: 'confirmed', done: false },
    _min: { dueAt: true },
  })
  return new Map(groups.flatMap((g) => (g._min.dueAt ? [[g.dossierId, g._min.dueAt] as const] : [])))
}

function asJson(page: { dossiers: DossierListItem[]; nextCursor: string | null; prevCursor: string | null }): PageJson {
  return JSON.parse(JSON.stringify(page)) as PageJson
}
