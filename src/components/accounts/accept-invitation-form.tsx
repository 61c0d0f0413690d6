'use client'

import { useActionState } from 'react'
import type { AcceptState } from '@/actions/accounts'
import { InputField, LegendForm, SubmitButton } from '../form-field'
import { NewPasswordFields } from './new-password-fields'

type Action = (state: AcceptState, form: FormData) => Promise<AcceptState>

/** The invitation page's form: the new member's name and password (twice). */
export function AcceptInvitationForm({ action, email }: { action: Action; email: string }) {
  const [state, formAction, pending] = useActionState<AcceptState, FormData>(action, { name: '', errors: {} })
  const { errors } = state
  return (
    <LegendForm id="accept" action={formAction} error={errors.form} answer={state}>
      <InputField
        id="accept-email"
        label="E-mail"
        type="email"
        value={email}
        readOnly
        autoComplete="username"
        className="field-input bg-slate-100"
      />
      <InputField
        id="accept-name"
        label="Nom et prénom"
        error={errors.name}
        name="name"
        type="text"
        required
        maxLength={100}
        autoComplete="name"
        defaultValue={state.name}
      />
      <NewPasswordFields idPrefix="accept" kind="first" errors={errors} />
      <SubmitButton pending={pending}>Créer mon compte</SubmitButton>
    </LegendForm>
  )
}
