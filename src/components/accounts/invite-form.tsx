'use client'

import { useActionState } from 'react'
import type { InviteState } from '@/actions/accounts'
import { ROLE_LABELS } from '@/lib/pages/labels'
import { FormAlert, RequiredLegend, RequiredMark } from './required-legend'

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
      <form
        action={formAction}
        noValidate
        className="space-y-4"
        key={`${sent?.at ?? 0}:${JSON.stringify(values)}`}
        aria-describedby="invite-legend"
      >
        <RequiredLegend id="invite-legend" />
        {errors.form && <FormAlert>{errors.form}</FormAlert>}
        <div className="grid gap-4 sm:grid-cols-[2fr_1fr_auto] sm:items-start">
          <div>
            <label htmlFor="invite-email" className="field-label">
              E-mail du collaborateur
              <RequiredMark />
            </label>
            <input
              id="invite-email"
              name="email"
              type="email"
              required
              autoComplete="off"
              defaultValue={values.email}
              aria-invalid={errors.email ? true : undefined}
              aria-describedby={errors.email ? 'invite-email-error' : undefined}
              className="field-input"
            />
            {errors.email && (
              <p id="invite-email-error" role="alert" className="field-error">
                {errors.email}
              </p>
            )}
          </div>
          <div>
            <label htmlFor="invite-role" className="field-label">
              Rôle
              <RequiredMark />
            </label>
            <select
              id="invite-role"
              name="role"
              required
              defaultValue={values.role || 'AVOCAT'}
              aria-invalid={errors.role ? true : undefined}
              aria-describedby={errors.role ? 'invite-role-error' : undefined}
              className="field-input"
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
            {errors.role && (
              <p id="invite-role-error" role="alert" className="field-error">
                {errors.role}
              </p>
            )}
          </div>
          <button type="submit" className="btn-primary w-full sm:mt-6 sm:w-auto" disabled={pending}>
            Envoyer l’invitation
          </button>
        </div>
      </form>
      <p role="status" className="mt-2 text-sm font-medium text-emerald-800">
        {sent && `Invitation envoyée à ${sent.email}. Le lien est valable 7 jours.`}
      </p>
    </div>
  )
}
