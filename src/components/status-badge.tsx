import { DOSSIER_STATUS_LABELS, ANALYSIS_STATUS_LABELS, type AnalysisStatusValue } from '@/lib/pages/labels'
import type { DossierStatusValue } from '@/lib/dossiers/schemas'

const DOSSIER_STYLES: Record<DossierStatusValue, string> = {
  OPEN: 'bg-blue-50 text-blue-800 ring-blue-200',
  IN_PROGRESS: 'bg-amber-50 text-amber-900 ring-amber-300',
  CLOSED: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  ARCHIVED: 'bg-slate-100 text-slate-700 ring-slate-300',
}

const ANALYSIS_STYLES: Record<AnalysisStatusValue, string> = {
  NONE: 'bg-slate-100 text-slate-700 ring-slate-300',
  QUEUED: 'bg-amber-50 text-amber-900 ring-amber-300',
  RUNNING: 'bg-blue-50 text-blue-800 ring-blue-200',
  DONE: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  FAILED: 'bg-red-50 text-red-800 ring-red-200',
}

const base =
  'inline-flex items-center whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset'

export function DossierStatusBadge({ status }: { status: string }) {
  const s = (status in DOSSIER_STATUS_LABELS ? status : 'OPEN') as DossierStatusValue
  return <span className={`${base} ${DOSSIER_STYLES[s]}`}>{DOSSIER_STATUS_LABELS[s] ?? status}</span>
}

export function AnalysisStatusBadge({ status }: { status: AnalysisStatusValue }) {
  return <span className={`${base} ${ANALYSIS_STYLES[status]}`}>{ANALYSIS_STATUS_LABELS[status]}</span>
}
