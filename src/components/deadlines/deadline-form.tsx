'use client'

import { useActionState } from 'react'
import type { DeadlineField, DeadlineFormState, DeadlineValues } from '@/actions/deadlines'
import { DEADLINE_KIND_LABELS, DEADLINE_KINDS } from '@/lib/core/deadline-kinds'
import { InputField, LegendForm, SelectField, SubmitButton } from '../form-field'

type Action = (state: DeadlineFormState, form: FormData) => Promise<DeadlineFormState>

/**
 * Add or edit a deadline: title, date and time (Paris, a native date-time field), kind. Validated on the
 * server (the API's schemas); an answer keeps what was typed, marks the wrong fields and announces the message.
 */
export function DeadlineForm({
  action,
  initial,
  idPrefix,
  submitLabel,
}: {
  action: Action
  initial: DeadlineValues
  /** Unique on the page: several forms (add, and one per deadline) live side by side. */
  idPrefix: string
  submitLabel: string
}) {
  const [state, formAction, pending] = useActionState<DeadlineFormState, FormData>(action, {
    values: initial,
    errors: {},
  })
  const { values, errors, saved } = state
  const field = (name: DeadlineField) => ({
    id: `${idPrefix}-${name}`,
    name,
    error: errors[name],
  })
  return (
    <div>
      {/* A new answer re-creates the fields with the values it carries (emptied after an addition). */}
      <LegendForm id={idPrefix} action={formAction} error={errors.form} answer={[saved?.at, values]}>
        <div className="grid gap-4 sm:grid-cols-[2fr_1fr]">
          <InputField
            label="Intitulé"
            type="text"
            required
            maxLength={200}
            defaultValue={values.title}
            autoComplete="off"
            {...field('title')}
          />
          <SelectField
            label="Type"
            options={DEADLINE_KINDS}
            labels={DEADLINE_KIND_LABELS}
            defaultValue={values.kind || 'autre'}
            {...field('kind')}
          />
        </div>
        <div className="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
          <InputField
            label="Date et heure (Paris)"
            wrapperClassName="sm:w-72"
            type="datetime-local"
            required
            defaultValue={values.dueAt}
            {...field('dueAt')}
          />
          <SubmitButton pending={pending} className="w-full sm:w-auto">
            {submitLabel}
          </SubmitButton>
        </div>
      </LegendForm>
      {/* Outside the re-created form: the live region stays, so its new text is announced. */}
      <p role="status" className="mt-2 text-sm font-medium text-emerald-800">
        {saved?.message}
      </p>
    </div>
  )
}
