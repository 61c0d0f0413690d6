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
