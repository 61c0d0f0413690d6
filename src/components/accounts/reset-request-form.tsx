'use client'

import { useActionState } from 'react'
import type { ResetRequestState } from '@/actions/accounts'
import { FormAlert, RequiredLegend, RequiredMark } from './required-legend'

type Action = (state: ResetRequestState, form: FormData) => Promise<ResetRequestState>

/** « Mot de passe oublié ? »: an e-mail, then always the same confirmation. */
export function ResetRequestForm({ action }: { action: Action }) {
  const [state, formAction, pending] = useActionState<ResetRequestState, FormData>(action, { email: '' })
  if (state.sent)
    return (
      <p
        role="status"
        className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-3 text-sm text-emerald-900"
      >
        Si cette adresse correspond à un compte, un e-mail vient de lui être envoyé avec un lien pour choisir un nouveau
        mot de passe. Le lien est valable une heure. Pensez à vérifier vos courriers indésirables.
      </p>
    )
  return (
    <form
      action={formAction}
      noValidate
      className="space-y-4"
      key={JSON.stringify(state)}
      aria-describedby="reset-legend"
    >
      <RequiredLegend id="reset-legend" />
      {state.error && !state.field && <FormAlert>{state.error}</FormAlert>}
      <div>
        <label htmlFor="reset-email" className="field-label">
          E-mail
          <RequiredMark />
        </label>
        <input
          id="reset-email"
          name="email"
          type="email"
          required
          autoComplete="username"
          defaultValue={state.email}
          aria-invalid={state.field ? true : undefined}
          aria-describedby={state.field ? 'reset-email-error' : undefined}
          className="field-input"
        />
        {state.field && (
          <p id="reset-email-error" role="alert" className="field-error">
            {state.error}
          </p>
        )}
      </div>
      <button type="submit" className="btn-primary w-full" disabled={pending}>
        Recevoir un lien
      </button>
    </form>
  )
}
