import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react'
import { RequiredLegend, RequiredMark } from './required'

/** What a field's control gets from its frame: its id and name, `required`, and the links to its error and hint. */
export interface ControlProps {
  id: string
  name?: string
  required?: boolean
  'aria-invalid'?: true
  'aria-describedby'?: string
  className: string
}

interface FieldProps {
  id: string
  name?: string
  label: ReactNode
  /** Sets the control's `required` and marks the label. */
  required?: boolean
  /** Shown under the control (role="alert") and marks it aria-invalid. */
  error?: ReactNode
  /** A lasting help text under the control, read with it. */
  hint?: ReactNode
  /** The class of the wrapping element (its width in a row). */
  wrapperClassName?: string
}

/**
 * A labelled control, its hint and its error, linked by aria-describedby. The control itself (input, select,
 * textarea) is drawn by `children` from the props it is given, so each form keeps its own attributes.
 */
export function Field({
  id,
  name,
  label,
  required,
  error,
  hint,
  wrapperClassName,
  children,
}: FieldProps & { children: (control: ControlProps) => ReactNode }) {
  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
  return (
    <div className={wrapperClassName}>
      <label htmlFor={id} className="field-label">
        {label}
        {required && <RequiredMark />}
      </label>
      {children({
        id,
        name,
        required,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy || undefined,
        className: 'field-input',
      })}
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="field-error">
          {error}
        </p>
      )}
    </div>
  )
}

/** Separates a field's own props from those of its control. */
function split<P extends FieldProps>({ id, name, label, required, error, hint, wrapperClassName, ...control }: P) {
  return [{ id, name, label, required, error, hint, wrapperClassName }, control] as const
}

/** The common case: a Field around an <input>; the other props go to the input (a `className` replaces field-input). */
export function InputField(props: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, keyof FieldProps>) {
  const [field, input] = split(props)
  return <Field {...field}>{(control) => <input {...control} {...input} />}</Field>
}

/** A Field around a <select> of `options`, each shown by its label. */
export function SelectField<T extends string>(
  props: FieldProps &
    Omit<SelectHTMLAttributes<HTMLSelectElement>, keyof FieldProps> & {
      options: readonly T[]
      labels: Record<T, string>
    },
) {
  const [field, { options, labels, ...select }] = split(props)
  return (
    <Field {...field}>
      {(control) => (
        <select {...control} {...select}>
          <Options values={options} labels={labels} />
        </select>
      )}
    </Field>
  )
}

/** A select's <option>s: each value shown by its label. */
export function Options<T extends string>({ values, labels }: { values: readonly T[]; labels: Record<T, string> }) {
  return values.map((v) => (
    <option key={v} value={v}>
      {labels[v]}
    </option>
  ))
}

/** A refusal for the whole form. */
export function FormAlert({ children }: { children: ReactNode }) {
  return (
    <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800">
      {children}
    </p>
  )
}

/**
 * The accounts and deadline forms' frame: validated on the server (noValidate), the legend of the asterisk
 * first and pointed to by aria-describedby, then the refusal for the whole form if there is one.
 */
export function LegendForm({
  id,
  action,
  answer,
  error,
  children,
}: {
  /** The legend's id is `${id}-legend`; unique on the page. */
  id: string
  action: (form: FormData) => void
  /**
   * What of the action's answer, when it changes, re-creates the fields with the values it carries (React resets
   * a form after its action).
   */
  answer: unknown
  error?: ReactNode
  children: ReactNode
}) {
  return (
    <form
      action={action}
      noValidate
      className="space-y-4"
      aria-describedby={`${id}-legend`}
      key={JSON.stringify(answer)}
    >
      <RequiredLegend id={`${id}-legend`} />
      {error && <FormAlert>{error}</FormAlert>}
      {children}
    </form>
  )
}

/** The form's primary button, disabled while the action runs. */
export function SubmitButton({
  pending,
  className = 'w-full',
  children,
}: {
  pending: boolean
  /** Width and spacing beside btn-primary. */
  className?: string
  children: ReactNode
}) {
  return (
    <button type="submit" className={`btn-primary ${className}`} disabled={pending}>
      {children}
    </button>
  )
}
