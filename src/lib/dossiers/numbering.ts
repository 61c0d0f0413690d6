import { Prisma, type PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'

/**
 * Reference numbering: `<cabinet prefix>-<year>-<3-digit number>` (`DUP-2026-014`), the number a
 * per-cabinet counter bumped atomically in the database.
 */

/** The cabinet's next generated reference. 404 when the cabinet does not exist. */
export async function nextReference(prisma: Pick<PrismaClient, 'tenant'>, tenantId: string): Promise<string> {
  let tenant
  try {
    tenant = await prisma.tenant.update({
      where: { id: tenantId },
      data: { referenceSeq: { increment: 1 } },
      select: { referencePrefix: true, referenceSeq: true },
    })
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025')
      throw new HttpError(404, 'cabinet not found')
    throw err
  }
  return `${tenant.referencePrefix}-${new Date().getFullYear()}-${String(tenant.referenceSeq).padStart(3, '0')}`
}

/**
 * Moves the cabinet's counter past the highest number already used in the series of `taken`
 * (`DUP-2026-` for `DUP-2026-014`), so the next generated reference is free (unless taken
 * concurrently, which the caller's retry covers). References typed by hand (imported case files) may
 * sit anywhere ahead of the counter, so bumping by one is not enough. Only ever raises the counter.
 */
export async function skipTakenReferences(
  prisma: Pick<PrismaClient, 'tenant' | 'dossier'>,
  tenantId: string,
  taken: string,
): Promise<void> {
  const series = taken.replace(/\d+$/, '')
  const used = await prisma.dossier.findMany({
    where: { tenantId, reference: { startsWith: series } },
    select: { reference: true },
  })
  let highest = 0
  for (const { reference } of used) {
    const rest = reference.slice(series.length)
    if (/^\d{1,9}$/.test(rest)) highest = Math.max(highest, Number(rest))
  }
  await prisma.tenant.updateMany({
    where: { id: tenantId, referenceSeq: { lt: highest } },
    data: { referenceSeq: highest },
  })
}

/** A unique-constraint violation (here: a reference already used in the cabinet). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002'
}
