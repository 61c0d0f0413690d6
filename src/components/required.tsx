/** The visible mark of a required field; screen readers get `required` from the field itself. */
export function RequiredMark() {
  return (
    <span aria-hidden="true" className="required-mark">
      *
    </span>
  )
}

/** What the mark means, once above the form. */
export function RequiredLegend() {
  return (
    <p className="text-xs text-slate-600">
      Les champs marqués d’un astérisque (<span className="required-mark">*</span>) sont obligatoires.
    </p>
  )
}

/** The accounts and deadline forms' mark: a plain asterisk, and « (obligatoire) » for screen readers. */
export function SpokenRequiredMark() {
  return (
    <>
      {' '}
      <span aria-hidden="true">*</span>
      <span className="sr-only"> (obligatoire)</span>
    </>
  )
}

/** Their legend, with an id: their forms point to it with aria-describedby. */
export function SpokenRequiredLegend({ id }: { id: string }) {
  return (
    <p id={id} className="text-xs text-slate-600">
      Les champs marqués d’un astérisque (<span aria-hidden="true">*</span>) sont obligatoires.
    </p>
  )
}
