'use client'

import { useActionState } from 'react'
import type { AnalyzeState } from '@/lib/analyses/actions'

export function AnalyzeButton({
  action,
  disabled,
}: {
  action: (state: AnalyzeState) => Promise<AnalyzeState>
  disabled: boolean
}) {
  const [state, formAction, pending] = useActionState<AnalyzeState>(action, {})
  return (
    <form action={formAction} className="flex flex-col items-stretch gap-2 sm:items-end">
      <button type="submit" className="btn-primary" disabled={disabled || pending}>
        Lancer l&apos;analyse
      </button>
      {state.error && (
        <p role="alert" className="field-error">
          {state.error}
        </p>
      )}
    </form>
  )
}
