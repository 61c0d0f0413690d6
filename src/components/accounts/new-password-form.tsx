'use client'

import Link from 'next/link'
import { useActionState } from 'react'
import type { ResetConfirmState } from '@/actions/accounts'
import { FormAlert, RequiredLegend, RequiredMark } from './required-legend'

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
  const invalid = (f: 'password' | 'confirm') => ({
    'aria-invalid': errors[f] ? true : undefined,
    'aria-describedby':
      [errors[f] ? `new-${f}-error` : '', f === 'password' ? 'new-password-hint' : ''].filter(Boolean).join(' ') ||
      undefined,
  })
  return (
    <form
      action={formAction}
      noValidate
      className="space-y-4"
      key={JSON.stringify(state)}
      aria-describedby="new-legend"
    >
      <RequiredLegend id="new-legend" />
      {errors.form && <FormAlert>{errors.form}</FormAlert>}
      <div>
        <label htmlFor="new-password" className="field-label">
          Nouveau mot de passe
          <RequiredMark />
        </label>
        <input
          id="new-password"
          name="password"
          type="password"
          required
          minLength={10}
          autoComplete="new-password"
          className="field-input"
          {...invalid('password')}
        />
        <p id="new-password-hint" className="mt-1 text-xs text-slate-600">
          Au moins 10 caractères ; une phrase de passe convient très bien.
        </p>
        {errors.password && (
          <p id="new-password-error" role="alert" className="field-error">
            {errors.password}
          </p>
        )}
      </div>
      <div>
        <label htmlFor="new-confirm" className="field-label">
          Confirmez le nouveau mot de passe
          <RequiredMark />
        </label>
        <input
          id="new-confirm"
          name="confirm"
          type="password"
          required
          autoComplete="new-password"
          className="field-input"
          {...invalid('confirm')}
        />
        {errors.confirm && (
          <p id="new-confirm-error" role="alert" className="field-error">
            {errors.confirm}
          </p>
        )}
      </div>
      <button type="submit" className="btn-primary w-full" disabled={pending}>
        Enregistrer le mot de passe
      </button>
    </form>
  )
}
