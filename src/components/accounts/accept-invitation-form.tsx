'use client'

import { useActionState } from 'react'
import type { AcceptState } from '@/actions/accounts'
import { FormAlert, RequiredLegend, RequiredMark } from './required-legend'

type Action = (state: AcceptState, form: FormData) => Promise<AcceptState>

/** The invitation page's form: the new member's name and password (twice). */
export function AcceptInvitationForm({ action, email }: { action: Action; email: string }) {
  const [state, formAction, pending] = useActionState<AcceptState, FormData>(action, { name: '', errors: {} })
  const { errors } = state
  const invalid = (f: 'name' | 'password' | 'confirm') => ({
    'aria-invalid': errors[f] ? true : undefined,
    'aria-describedby':
      [errors[f] ? `accept-${f}-error` : '', f === 'password' ? 'accept-password-hint' : '']
        .filter(Boolean)
        .join(' ') || undefined,
  })
  const errorOf = (f: 'name' | 'password' | 'confirm') =>
    errors[f] && (
      <p id={`accept-${f}-error`} role="alert" className="field-error">
        {errors[f]}
      </p>
    )
  return (
    <form
      action={formAction}
      noValidate
      className="space-y-4"
      key={JSON.stringify(state)}
      aria-describedby="accept-legend"
    >
      <RequiredLegend id="accept-legend" />
      {errors.form && <FormAlert>{errors.form}</FormAlert>}
      <div>
        <label htmlFor="accept-email" className="field-label">
          E-mail
        </label>
        <input
          id="accept-email"
          type="email"
          value={email}
          readOnly
          autoComplete="username"
          className="field-input bg-slate-100"
        />
      </div>
      <div>
        <label htmlFor="accept-name" className="field-label">
          Nom et prénom
          <RequiredMark />
        </label>
        <input
          id="accept-name"
          name="name"
          type="text"
          required
          maxLength={100}
          autoComplete="name"
          defaultValue={state.name}
          className="field-input"
          {...invalid('name')}
        />
        {errorOf('name')}
      </div>
      <div>
        <label htmlFor="accept-password" className="field-label">
          Mot de passe
          <RequiredMark />
        </label>
        <input
          id="accept-password"
          name="password"
          type="password"
          required
          minLength={10}
          autoComplete="new-password"
          className="field-input"
          {...invalid('password')}
        />
        <p id="accept-password-hint" className="mt-1 text-xs text-slate-600">
          Au moins 10 caractères ; une phrase de passe convient très bien.
        </p>
        {errorOf('password')}
      </div>
      <div>
        <label htmlFor="accept-confirm" className="field-label">
          Confirmez le mot de passe
          <RequiredMark />
        </label>
        <input
          id="accept-confirm"
          name="confirm"
          type="password"
          required
          autoComplete="new-password"
          className="field-input"
          {...invalid('confirm')}
        />
        {errorOf('confirm')}
      </div>
      <button type="submit" className="btn-primary w-full" disabled={pending}>
        Créer mon compte
      </button>
    </form>
  )
}
