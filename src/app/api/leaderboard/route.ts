import { requireIdentity } from '@/lib/auth/identity'
import { route } from '@/lib/http'
import { getTopTenants } from '@/lib/leaderboard'
import { prisma } from '@/lib/prisma'

export const dynamic = 'force-dynamic'

/** The top cabinets by score, with their names; `you: true` marks the caller's. */
export const GET = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  const top = await getTopTenants(10)
  const names = new Map(
    (await prisma.tenant.findMany({ where: { id: { in: top.map((t) => t.member) } }, select: { id: true, name: true } })).map((t) => [t.id, t.name]),
  )
  const cabinets = top.flatMap(({ member, score }, i) => (names.has(member) ? [{ rank: i + 1, id: member, name: names.get(member)!, score, you: member === tenantId }] : []))
  return Response.json({ cabinets })
})
