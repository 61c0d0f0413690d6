'use client'

import { useActionState } from 'react'
import type { InviteState } from '@/actions/accounts'
import { ROLE_LABELS } from '@/lib/pages/labels'
import { InputField, LegendForm, SelectField, SubmitButton } from '../form-field'

type Action = (state: InviteState, form: FormData) => Promise<InviteState>

const ROLES = ['AVOCAT', 'ASSISTANT', 'ADMIN'] as const

/** « Inviter un collaborateur »: an e-mail and a role; the colleague receives a link valid 7 days. */
export function InviteForm({ action }: { action: Action }) {
  const [state, formAction, pending] = useActionState<InviteState, FormData>(action, {
    values: { email: '', role: 'AVOCAT' },
    errors: {},
  })
  const { values, errors, sent } = state
  return (
    <div>
      <LegendForm id="invite" action={formAction} error={errors.form} answer={[sent?.at, values]}>
        <div className="grid gap-4 sm:grid-cols-[2fr_1fr_auto] sm:items-start">
          <InputField
            id="invite-email"
            label="E-mail du collaborateur"
            error={errors.email}
            name="email"
            type="email"
            required
            autoComplete="off"
            defaultValue={values.email}
          />
          <SelectField
            id="invite-role"
            name="role"
            label="Rôle"
            required
            error={errors.role}
            options={ROLES}
            labels={ROLE_LABELS}
            defaultValue={values.role || 'AVOCAT'}
          />
          <SubmitButton pending={pending} className="w-full sm:mt-6 sm:w-auto">
            Envoyer l’invitation
          </SubmitButton>
        </div>
      </LegendForm>
      <p role="status" className="mt-2 text-sm font-medium text-emerald-800">
        {sent && `Invitation envoyée à ${sent.email}. Le lien est valable 7 jours.`}
      </p>
    </div>
  )
}
