/**
 * The kinds of échéance a cabinet tracks, with their French labels: the vocabulary the deadlines, their
 * reminder e-mails and the pages share, so it lives below all three.
 */
export const DEADLINE_KINDS = ['audience', 'delai_procedure', 'prescription', 'rendez_vous', 'autre'] as const
export type DeadlineKind = (typeof DEADLINE_KINDS)[number]
export const DEADLINE_KIND_LABELS: Record<DeadlineKind, string> = {
  audience: 'Audience',
  delai_procedure: 'Délai de procédure',
  prescription: 'Prescription',
  rendez_vous: 'Rendez-vous',
  autre: 'Autre échéance',
}
