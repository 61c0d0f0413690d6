'use client'

import Link from 'next/link'
import { useActionState } from 'react'
import type { ResetConfirmState } from '@/actions/accounts'
import { FormAlert, LegendForm, SubmitButton } from '../form-field'
import { NewPasswordFields } from './new-password-fields'

type Action = (state: ResetConfirmState, form: FormData) => Promise<ResetConfirmState>

/** The reset link's page: the new password, twice. */
export function NewPasswordForm({ action }: { action: Action }) {
  const [state, formAction, pending] = useActionState<ResetConfirmState, FormData>(action, { errors: {} })
  const { errors } = state
  if (state.expired)
    return (
      <FormAlert>
        Ce lien a expiré ou a déjà servi.{' '}
        <Link href="/mot-de-passe-oublie" className="underline">
          Demander un nouveau lien
        </Link>
      </FormAlert>
    )
  return (
    <LegendForm id="new" action={formAction} error={errors.form} answer={state}>
      <NewPasswordFields idPrefix="new" kind="reset" errors={errors} />
      <SubmitButton pending={pending}>Enregistrer le mot de passe</SubmitButton>
    </LegendForm>
  )
}
