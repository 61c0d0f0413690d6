'use client'

import { useActionState } from 'react'
import type { DossierFormState, DossierValues } from '@/actions/dossiers'
import { DOSSIER_STATUSES } from '@/lib/dossiers/schemas'
import { DOSSIER_STATUS_LABELS, type DossierField } from '@/lib/pages/labels'
import { RequiredLegend, RequiredMark } from './required'

type Action = (state: DossierFormState, form: FormData) => Promise<DossierFormState>

/**
 * Create or edit a dossier. Required fields carry `required` (the browser stops an empty one at once)
 * and a visible mark explained above the form; validation itself happens on the server (the API's
 * schemas): the answer keeps what was typed, marks the wrong fields aria-invalid and announces their
 * message (role="alert").
 */
export function DossierForm({
  action,
  initial,
  mode,
}: {
  action: Action
  initial: DossierValues
  mode: 'create' | 'edit'
}) {
  const [state, formAction, pending] = useActionState<DossierFormState, FormData>(action, {
    values: initial,
    errors: {},
  })
  const { values, errors } = state
  const prefix = mode === 'create' ? 'new' : 'edit'
  const field = (name: DossierField) => {
    const id = `${prefix}-${name}`
    const error = errors[name]
    return {
      id,
      name,
      'aria-invalid': error ? true : undefined,
      'aria-describedby':
        [error ? `${id}-error` : '', name === 'reference' ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined,
      className: 'field-input',
    }
  }
  const errorOf = (name: DossierField) =>
    errors[name] && (
      <p id={`${prefix}-${name}-error`} role="alert" className="field-error">
        {errors[name]}
      </p>
    )
  return (
    // key: a new answer re-creates the fields with the values it carries (React resets forms after an action).
    <form action={formAction} className="space-y-5" key={JSON.stringify(values)}>
      <RequiredLegend />
      {errors.form && (
        <p
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800"
        >
          {errors.form}
        </p>
      )}
      <div className="grid gap-5 sm:grid-cols-2">
        <div>
          <label htmlFor={`${prefix}-title`} className="field-label">
            Titre
            <RequiredMark />
          </label>
          <input type="text" defaultValue={values.title} required maxLength={400} {...field('title')} />
          {errorOf('title')}
        </div>
        <div>
          <label htmlFor={`${prefix}-clientName`} className="field-label">
            Client
            <RequiredMark />
          </label>
          <input
            type="text"
            defaultValue={values.clientName}
            required
            maxLength={400}
            autoComplete="off"
            {...field('clientName')}
          />
          {errorOf('clientName')}
        </div>
        <div>
          <label htmlFor={`${prefix}-reference`} className="field-label">
            Référence
            {mode === 'edit' && <RequiredMark />}
          </label>
          <input
            type="text"
            defaultValue={values.reference}
            maxLength={100}
            autoComplete="off"
            required={mode === 'edit'}
            pattern="[A-Za-z0-9][A-Za-z0-9._\/\-]*"
            {...field('reference')}
          />
          <p id={`${prefix}-reference-hint`} className="mt-1 text-xs text-slate-600">
            {mode === 'create'
              ? 'Facultative : laissée vide, la suivante du cabinet est attribuée.'
              : 'Lettres, chiffres, « . », « _ », « / » ou « - » ; unique dans le cabinet.'}
          </p>
          {errorOf('reference')}
        </div>
        <div>
          <label htmlFor={`${prefix}-status`} className="field-label">
            Statut
            <RequiredMark />
          </label>
          <select defaultValue={values.status || 'OPEN'} required {...field('status')}>
            {DOSSIER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {DOSSIER_STATUS_LABELS[s]}
              </option>
            ))}
          </select>
          {errorOf('status')}
        </div>
      </div>
      <div>
        <label htmlFor={`${prefix}-description`} className="field-label">
          Description
        </label>
        <textarea rows={mode === 'create' ? 6 : 5} defaultValue={values.description} {...field('description')} />
        {errorOf('description')}
      </div>
      <div className="flex justify-end">
        <button type="submit" className="btn-primary w-full sm:w-auto" disabled={pending}>
          {mode === 'create' ? 'Créer le dossier' : 'Enregistrer'}
        </button>
      </div>
    </form>
  )
}
