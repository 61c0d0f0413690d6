'use client'

import { useActionState } from 'react'
import { loginAction, type LoginState } from '@/actions/auth'
import { RequiredLegend, RequiredMark } from './required'

export function LoginForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<LoginState, FormData>(loginAction, { email: '', next })
  const emailInvalid = state.field === 'email'
  const passwordInvalid = state.field === 'password'
  return (
    <form action={action} className="space-y-4">
      <RequiredLegend />
      <input type="hidden" name="next" value={state.next} />
      {state.error && !state.field && (
        <p
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800"
        >
          {state.error}
        </p>
      )}
      <div>
        <label htmlFor="email" className="field-label">
          E-mail
          <RequiredMark />
        </label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          defaultValue={state.email}
          aria-invalid={emailInvalid || undefined}
          aria-describedby={emailInvalid ? 'email-error' : undefined}
          className="field-input"
        />
        {emailInvalid && (
          <p id="email-error" role="alert" className="field-error">
            {state.error}
          </p>
        )}
      </div>
      <div>
        <label htmlFor="password" className="field-label">
          Mot de passe
          <RequiredMark />
        </label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={passwordInvalid || undefined}
          aria-describedby={passwordInvalid ? 'password-error' : undefined}
          className="field-input"
        />
        {passwordInvalid && (
          <p id="password-error" role="alert" className="field-error">
            {state.error}
          </p>
        )}
      </div>
      <button type="submit" className="btn-primary w-full" disabled={pending}>
        {pending ? 'Connexion…' : 'Se connecter'}
      </button>
    </form>
  )
}
