/** The forms' legend for the asterisk, and the mark itself (visible; screen readers hear « obligatoire » instead). */
export function RequiredLegend({ id }: { id?: string }) {
  return (
    <p id={id} className="text-xs text-slate-600">
      Les champs marqués d’un astérisque (<span aria-hidden="true">*</span>) sont obligatoires.
    </p>
  )
}

export function RequiredMark() {
  return (
    <>
      {' '}
      <span aria-hidden="true">*</span>
      <span className="sr-only"> (obligatoire)</span>
    </>
  )
}

/** A refusal for the whole form. */
export function FormAlert({ children }: { children: React.ReactNode }) {
  return (
    <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800">
      {children}
    </p>
  )
}
