import type { Role } from '@/lib/core/identity'

/** Who may delete a dossier, for the API and the pages alike: lawyers and admins; an assistant may edit, not delete. */
export const DOSSIER_DELETE_ROLES: readonly Role[] = ['ADMIN', 'AVOCAT']

export const canDeleteDossier = (role: Role): boolean => DOSSIER_DELETE_ROLES.includes(role)
