/**
 * Demo data for `npm run dev`: two cabinets with a few dossiers, written only when the database has
 * no tenant yet (so it never touches real data).   npx tsx prisma/seed.ts
 */
import { createPrismaClient } from '../src/lib/prisma'

const demo = [
  {
    id: 'cabinet-dupont',
    name: 'Cabinet Dupont',
    plan: 'PREMIUM',
    dossiers: [
      { reference: 'DUP-2026-001', title: 'Succession Martin', status: 'OPEN' },
      { reference: 'DUP-2026-002', title: 'Bail commercial Lefèvre', status: 'OPEN' },
      { reference: 'DUP-2026-003', title: 'Divorce Bernard', status: 'CLOSED' },
    ],
  },
  {
    id: 'cabinet-moreau',
    name: 'Cabinet Moreau & Associés',
    plan: 'FREE',
    dossiers: [{ reference: 'MOR-2026-001', title: 'Litige prud’homal Petit', status: 'OPEN' }],
  },
]

async function main(): Promise<void> {
  const prisma = createPrismaClient()
  try {
    if ((await prisma.tenant.count()) > 0) return
    for (const t of demo) {
      await prisma.tenant.create({
        data: { id: t.id, name: t.name, plan: t.plan, dossiers: { create: t.dossiers } },
      })
    }
    console.log(`seeded ${demo.length} demo cabinets`)
  } finally {
    await prisma.$disconnect()
  }
}

main().catch((err) => {
  console.error(`seed failed: ${(err as Error).message}`)
  process.exit(1)
})
