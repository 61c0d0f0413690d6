'use client'

import { useActionState } from 'react'
import type { DossierFormState, DossierValues } from '@/actions/dossiers'
import { DOSSIER_STATUSES } from '@/lib/dossiers/schemas'
import { DOSSIER_STATUS_LABELS, type DossierField } from '@/lib/pages/labels'
import { Field, FormAlert, InputField, SelectField, SubmitButton } from './form-field'
import { RequiredLegend } from './required'

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
  const field = (name: DossierField) => ({ id: `${prefix}-${name}`, name, error: errors[name] })
  return (
    // key: a new answer re-creates the fields with the values it carries (React resets forms after an action).
    <form action={formAction} className="space-y-5" key={JSON.stringify(values)}>
      <RequiredLegend />
      {errors.form && <FormAlert>{errors.form}</FormAlert>}
      <div className="grid gap-5 sm:grid-cols-2">
        <InputField
          label="Titre"
          type="text"
          defaultValue={values.title}
          required
          maxLength={400}
          {...field('title')}
        />
        <InputField
          label="Client"
          type="text"
          defaultValue={values.clientName}
          required
          maxLength={400}
          autoComplete="off"
          {...field('clientName')}
        />
        <InputField
          label="Référence"
          hint={
            mode === 'create'
              ? 'Facultative : laissée vide, la suivante du cabinet est attribuée.'
              : 'Lettres, chiffres, « . », « _ », « / » ou « - » ; unique dans le cabinet.'
          }
          type="text"
          defaultValue={values.reference}
          maxLength={100}
          autoComplete="off"
          required={mode === 'edit'}
          pattern="[A-Za-z0-9][A-Za-z0-9._\/\-]*"
          {...field('reference')}
        />
        <SelectField
          label="Statut"
          required
          options={DOSSIER_STATUSES}
          labels={DOSSIER_STATUS_LABELS}
          defaultValue={values.status || 'OPEN'}
          {...field('status')}
        />
      </div>
      <Field label="Description" {...field('description')}>
        {(control) => <textarea {...control} rows={mode === 'create' ? 6 : 5} defaultValue={values.description} />}
      </Field>
      <div className="flex justify-end">
        <SubmitButton pending={pending} className="w-full sm:w-auto">
          {mode === 'create' ? 'Créer le dossier' : 'Enregistrer'}
        </SubmitButton>
      </div>
    </form>
  )
}
