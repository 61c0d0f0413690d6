'use client'

import { useActionState } from 'react'
import { loginAction, type LoginState } from '@/actions/auth'
import { FormAlert, InputField, SubmitButton } from './form-field'
import { RequiredLegend } from './required'

export function LoginForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<LoginState, FormData>(loginAction, { email: '', next })
  // The server names the one field its message is about, if any (else it is about the whole form).
  const field = (name: 'email' | 'password') => ({
    id: name,
    name,
    required: true,
    error: state.field === name && state.error,
  })
  return (
    <form action={action} className="space-y-4">
      <RequiredLegend />
      <input type="hidden" name="next" value={state.next} />
      {state.error && !state.field && <FormAlert>{state.error}</FormAlert>}
      <InputField label="E-mail" type="email" autoComplete="username" defaultValue={state.email} {...field('email')} />
      <InputField label="Mot de passe" type="password" autoComplete="current-password" {...field('password')} />
      <SubmitButton pending={pending}>{pending ? 'Connexion…' : 'Se connecter'}</SubmitButton>
    </form>
  )
}
