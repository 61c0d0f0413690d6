import { InputField } from '../form-field'

/** Their labels: the invitation asks for the account's first password, the reset link for a new one. */
const LABELS = {
  first: ['Mot de passe', 'Confirmez le mot de passe'],
  reset: ['Nouveau mot de passe', 'Confirmez le nouveau mot de passe'],
} as const

/** A password and its confirmation, as the invitation and the reset link ask for them. */
export function NewPasswordFields({
  idPrefix,
  kind,
  errors,
}: {
  idPrefix: string
  kind: keyof typeof LABELS
  errors: { password?: string; confirm?: string }
}) {
  const [label, confirmLabel] = LABELS[kind]
  const field = (name: 'password' | 'confirm') => ({
    id: `${idPrefix}-${name}`,
    name,
    error: errors[name],
    type: 'password',
    required: true,
    autoComplete: 'new-password',
  })
  return (
    <>
      <InputField
        label={label}
        hint="Au moins 10 caractères ; une phrase de passe convient très bien."
        minLength={10}
        {...field('password')}
      />
      <InputField label={confirmLabel} {...field('confirm')} />
    </>
  )
}
