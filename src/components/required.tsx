/**
 * The visible mark of a required field. Screen readers already say « obligatoire » from the control's own
 * `required`, so the asterisk is hidden from them rather than read as « étoile ».
 */
export function RequiredMark() {
  return (
    <span aria-hidden="true" className="required-mark">
      *
    </span>
  )
}

/**
 * What the mark means, once above the form; `id` lets the form point to it (aria-describedby). A screen
 * reader hears « Les champs marqués d’un astérisque sont obligatoires. », without a stray « (étoile) ».
 */
export function RequiredLegend({ id }: { id?: string }) {
  return (
    <p id={id} className="text-xs text-slate-600">
      Les champs marqués d’un astérisque
      <span aria-hidden="true">
        {' '}
        (<span className="required-mark">*</span>)
      </span>{' '}
      sont obligatoires.
    </p>
  )
}
