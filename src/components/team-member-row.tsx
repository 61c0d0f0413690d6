'use client'

import { useActionState } from 'react'
import { ROLE_LABELS } from '@/lib/pages/labels'
import type { MemberState } from '@/actions/users'
import type { TeamMember } from '@/lib/users/team'

const ROLE_OPTIONS = (['ADMIN', 'AVOCAT', 'ASSISTANT'] as const).map((value) => ({ value, label: ROLE_LABELS[value] }))

/** One user of the cabinet: role and access, saved on their own (the user's sessions end at once). */
export function TeamMemberRow({
  member,
  you,
  action,
}: {
  member: TeamMember
  you: boolean
  action: (state: MemberState, form: FormData) => Promise<MemberState>
}) {
  const [state, formAction, pending] = useActionState<MemberState, FormData>(action, {})
  const roleId = `role-${member.id}`
  const activeId = `active-${member.id}`
  return (
    <li className="py-3">
      <form action={formAction} className="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <div className="min-w-0">
          <p className="font-medium text-slate-900">
            {member.name || member.email} {you && <span className="text-sm font-normal text-slate-600">(vous)</span>}
          </p>
          <p className="text-sm break-all text-slate-700">{member.email}</p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <label htmlFor={roleId} className="sr-only">
            Rôle de {member.name || member.email}
          </label>
          <select id={roleId} name="role" defaultValue={member.role} className="field-input mt-0 w-auto">
            {ROLE_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          <label htmlFor={activeId} className="flex items-center gap-2 text-sm text-slate-800">
            <input id={activeId} type="checkbox" name="active" defaultChecked={member.active} className="h-4 w-4" />
            Accès autorisé
          </label>
          <button type="submit" className="btn-secondary" disabled={pending}>
            Enregistrer
          </button>
        </div>
      </form>
      <p aria-live="polite" className="mt-1 text-sm">
        {state.error ? (
          <span role="alert" className="field-error">
            {state.error}
          </span>
        ) : state.saved ? (
          <span className="text-green-800">
            {state.saved.changed ? 'Enregistré. Ses sessions en cours ont été fermées.' : 'Rien à changer.'}
          </span>
        ) : null}
      </p>
    </li>
  )
}
