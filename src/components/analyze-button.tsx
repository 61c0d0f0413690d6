'use client'

import { useActionState } from 'react'
import type { AnalyzeState } from '@/actions/analyses'

/**
 * "Lancer l’analyse" (none yet) or "Relancer l’analyse" (after a finished or failed one). Disabled with
 * its reason shown beside it (a closed dossier, an analysis already pending); the server refuses too.
 */
export function AnalyzeButton({
  action,
  label,
  disabledReason,
}: {
  action: (state: AnalyzeState) => Promise<AnalyzeState>
  label: string
  /** Why the button is disabled; none: enabled. */
  disabledReason?: string
}) {
  const [state, formAction, pending] = useActionState<AnalyzeState>(action, {})
  return (
    <form action={formAction} className="flex flex-col items-stretch gap-2 sm:max-w-xs sm:items-end">
      <button
        type="submit"
        className="btn-primary"
        disabled={Boolean(disabledReason) || pending}
        aria-describedby={disabledReason ? 'analyze-disabled-reason' : undefined}
      >
        {pending ? 'Demande en cours…' : label}
      </button>
      {disabledReason && (
        <p id="analyze-disabled-reason" className="text-xs text-slate-700 sm:text-right">
          {disabledReason}
        </p>
      )}
      {state.error && (
        <p role="alert" className="field-error">
          {state.error}
        </p>
      )}
    </form>
  )
}
