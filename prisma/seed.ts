/**
 * Demo data: "Cabinet Dupont" (PREMIUM) and "Cabinet Martin" (FREE), their users (password
 * `demo-password`) and a dozen dossiers each. Idempotent: what exists is left as it is, what is
 * missing is added, so it can run at every `npm run dev`. Refuses to run with NODE_ENV=production
 * (demo accounts with a published password have no place there).
 *   npx tsx prisma/seed.ts      (npm run db:setup runs it after the migrations)
 */
import { hashPassword } from '../src/lib/auth/password'
import { createPrismaClient } from '../src/lib/core/prisma'
import { DEMO_CABINETS, DEMO_PASSWORD } from '../src/lib/demo/demo-data'

/** Seeds the database at `url` (default: DATABASE_URL). */
export async function seedDemo(url?: string, log: (line: string) => void = console.log): Promise<void> {
  if (process.env.NODE_ENV === 'production') {
    throw new Error(
      'refusing to seed demo users with NODE_ENV=production (their password is public); create real accounts instead',
    )
  }
  const prisma = createPrismaClient(url)
  try {
    const passwordHash = await hashPassword(DEMO_PASSWORD)
    let users = 0
    let dossiers = 0
    for (const c of DEMO_CABINETS) {
      await prisma.tenant.upsert({
        where: { id: c.id },
        create: { id: c.id, name: c.name, plan: c.plan, referencePrefix: c.referencePrefix },
        update: {},
      })
      for (const u of c.users) {
        const existing = await prisma.user.findUnique({ where: { email: u.email } })
        if (existing) continue
        await prisma.user.create({ data: { ...u, passwordHash, tenantId: c.id } })
        users++
      }
      for (const [i, d] of c.dossiers.entries()) {
        const { createdDaysAgo, ...fields } = d
        const existing = await prisma.dossier.findUnique({
          where: { tenantId_reference: { tenantId: c.id, reference: d.reference } },
        })
        if (existing) continue
        const createdAt = new Date(Date.now() - createdDaysAgo * 86_400_000)
        // Last worked on some time after opening, each at its own hour, so "latest first" reads as a
        // real cabinet's list rather than a dozen identical seed timestamps.
        const updatedAt = new Date(
          Math.max(createdAt.getTime(), Date.now() - (createdDaysAgo / 3) * 86_400_000 - (i * 53 + 17) * 60_000),
        )
        await prisma.dossier.create({ data: { ...fields, tenantId: c.id, createdAt, updatedAt } })
        dossiers++
      }
      // Generated references continue after the demo ones.
      await prisma.tenant.updateMany({
        where: { id: c.id, referenceSeq: { lt: c.dossiers.length } },
        data: { referenceSeq: c.dossiers.length },
      })
    }
    log(
      `demo data: ${DEMO_CABINETS.length} cabinets; added ${users} users and ${dossiers} dossiers (password for the demo users: ${DEMO_PASSWORD})`,
    )
  } finally {
    await prisma.$disconnect()
  }
}

if (process.argv[1] && /seed\.ts$/.test(process.argv[1])) {
  seedDemo().catch((err) => {
    console.error(`seed failed: ${(err as Error).message}`)
    process.exit(1)
  })
}
