'use client'

import { useActionState } from 'react'
import type { ResetRequestState } from '@/actions/accounts'
import { InputField, LegendForm, SubmitButton } from '../form-field'

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
    <LegendForm id="reset" action={formAction} error={state.field ? undefined : state.error} answer={state}>
      <InputField
        id="reset-email"
        label="E-mail"
        error={state.field && state.error}
        name="email"
        type="email"
        required
        autoComplete="username"
        defaultValue={state.email}
      />
      <SubmitButton pending={pending}>Recevoir un lien</SubmitButton>
    </LegendForm>
  )
}
