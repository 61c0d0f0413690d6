'use client'

import { useActionState } from 'react'
import type { DeadlineField, DeadlineFormState, DeadlineValues } from '@/actions/deadlines'
import { DEADLINE_KIND_LABELS, DEADLINE_KINDS } from '@/lib/core/deadline-kinds'

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
  const id = (name: DeadlineField) => `${idPrefix}-${name}`
  const field = (name: DeadlineField) => ({
    id: id(name),
    name,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `${id(name)}-error` : undefined,
    className: 'field-input',
  })
  const errorOf = (name: DeadlineField) =>
    errors[name] && (
      <p id={`${id(name)}-error`} role="alert" className="field-error">
        {errors[name]}
      </p>
    )
  return (
    <div>
      {/* key: a new answer re-creates the fields with the values it carries (emptied after an addition). */}
      <form
        action={formAction}
        noValidate
        className="space-y-4"
        key={`${saved?.at ?? 0}:${JSON.stringify(values)}`}
        aria-describedby={`${idPrefix}-legend`}
      >
        <p id={`${idPrefix}-legend`} className="text-xs text-slate-600">
          Les champs marqués d’un astérisque (<span aria-hidden="true">*</span>) sont obligatoires.
        </p>
        {errors.form && (
          <p
            role="alert"
            className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800"
          >
            {errors.form}
          </p>
        )}
        <div className="grid gap-4 sm:grid-cols-[2fr_1fr]">
          <div>
            <label htmlFor={id('title')} className="field-label">
              Intitulé <span aria-hidden="true">*</span>
              <span className="sr-only"> (obligatoire)</span>
            </label>
            <input
              type="text"
              required
              maxLength={200}
              defaultValue={values.title}
              autoComplete="off"
              {...field('title')}
            />
            {errorOf('title')}
          </div>
          <div>
            <label htmlFor={id('kind')} className="field-label">
              Type
            </label>
            <select defaultValue={values.kind || 'autre'} {...field('kind')}>
              {DEADLINE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {DEADLINE_KIND_LABELS[k]}
                </option>
              ))}
            </select>
            {errorOf('kind')}
          </div>
        </div>
        <div className="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
          <div className="sm:w-72">
            <label htmlFor={id('dueAt')} className="field-label">
              Date et heure (Paris) <span aria-hidden="true">*</span>
              <span className="sr-only"> (obligatoire)</span>
            </label>
            <input type="datetime-local" required defaultValue={values.dueAt} {...field('dueAt')} />
            {errorOf('dueAt')}
          </div>
          <button type="submit" className="btn-primary w-full sm:w-auto" disabled={pending}>
            {submitLabel}
          </button>
        </div>
      </form>
      {/* Outside the re-created form: the live region stays, so its new text is announced. */}
      <p role="status" className="mt-2 text-sm font-medium text-emerald-800">
        {saved?.message}
      </p>
    </div>
  )
}
