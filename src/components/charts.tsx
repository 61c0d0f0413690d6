import { formatNumber } from '@/lib/pages/labels'

/**
 * Small server-rendered SVG charts (no library, no JavaScript). Each is an image for assistive
 * technologies (role="img", a title and an aria-label carrying the figures) and comes with a
 * visually hidden table of the same figures.
 */

export interface BarDatum {
  /** Under the bar (short: "lun. 12"). */
  label: string
  /** In the hidden table and the bar's tooltip (long: "lundi 12 décembre"). */
  longLabel: string
  value: number
}

/** Vertical bars, one per day (e.g. commands per day over the last 14 days). */
export function DailyBarChart({ title, unit, data }: { title: string; unit: string; data: BarDatum[] }) {
  // A narrow drawing, so its text stays legible on a phone (it scales with the card).
  const width = 480
  const height = 220
  const top = 16
  const bottom = 36
  const left = 48
  const plotH = height - top - bottom
  const plotW = width - left - 8
  const max = Math.max(1, ...data.map((d) => d.value))
  const scale = niceCeiling(max)
  const slot = plotW / Math.max(1, data.length)
  const barW = Math.max(4, Math.min(28, slot * 0.65))
  const summary = `${title} : ${data.map((d) => `${d.longLabel} ${formatNumber(d.value)}`).join(', ')}.`
  const ticks = [0, scale / 2, scale]
  return (
    <figure className="mt-3">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={summary}
        className="h-auto w-full max-w-xl text-slate-700"
        preserveAspectRatio="xMinYMin meet"
      >
        <title>{summary}</title>
        {ticks.map((t) => {
          const y = top + plotH - (t / scale) * plotH
          return (
            <g key={t}>
              <line x1={left} x2={width - 8} y1={y} y2={y} stroke="#e2e8f0" />
              <text x={left - 6} y={y + 5} textAnchor="end" fontSize="14" fill="#475569">
                {compact(t)}
              </text>
            </g>
          )
        })}
        {data.map((d, i) => {
          const h = (d.value / scale) * plotH
          const x = left + i * slot + (slot - barW) / 2
          return (
            <g key={d.label}>
              <rect
                x={x}
                y={top + plotH - h}
                width={barW}
                height={Math.max(h, d.value > 0 ? 1 : 0)}
                rx="2"
                fill="#1d4ed8"
              >
                <title>{`${d.longLabel} : ${formatNumber(d.value)} ${unit}`}</title>
              </rect>
              {(data.length <= 7 || (data.length - 1 - i) % 3 === 0) && (
                <text x={x + barW / 2} y={height - bottom + 20} textAnchor="middle" fontSize="14" fill="#475569">
                  {d.label}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <FiguresTable
        caption={title}
        head={['Jour', unit]}
        rows={data.map((d) => [d.longLabel, formatNumber(d.value)])}
      />
    </figure>
  )
}

export interface MeterDatum {
  label: string
  value: number
  /** Shown after the value: "ms". */
  unit: string
  /** Bar colour from this value on: amber, then red. */
  warnAt: number
  badAt: number
}

/** Horizontal bars on a shared scale, with the "slow" threshold drawn (e.g. response times). */
export function HorizontalBars({ title, data, max }: { title: string; data: MeterDatum[]; max: number }) {
  // A narrow drawing, so its text stays legible on a phone (it scales with the card).
  const width = 420
  const rowH = 34
  const left = 140
  const right = 72
  const height = data.length * rowH + 26
  const plotW = width - left - right
  const summary = `${title} : ${data.map((d) => `${d.label} ${formatNumber(d.value, 1)} ${d.unit}`).join(', ')}.`
  const warnX = left + (Math.min(data[0]?.warnAt ?? max, max) / max) * plotW
  return (
    <figure className="mt-3">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} className="h-auto w-full max-w-md">
        <title>{summary}</title>
        {data.map((d, i) => {
          const y = 8 + i * rowH
          const w = Math.max(2, (Math.min(d.value, max) / max) * plotW)
          const fill = d.value >= d.badAt ? '#b91c1c' : d.value >= d.warnAt ? '#b45309' : '#047857'
          return (
            <g key={d.label}>
              <text x={left - 8} y={y + 16} textAnchor="end" fontSize="14" fill="#1e293b">
                {d.label}
              </text>
              <rect x={left} y={y + 4} width={plotW} height={16} rx="3" fill="#f1f5f9" />
              <rect x={left} y={y + 4} width={w} height={16} rx="3" fill={fill} />
              <text x={left + plotW + 8} y={y + 16} fontSize="14" fill="#1e293b">
                {formatNumber(d.value, d.value < 10 ? 1 : 0)} {d.unit}
              </text>
            </g>
          )
        })}
        <line x1={warnX} x2={warnX} y1={4} y2={height - 16} stroke="#b45309" strokeDasharray="4 3" />
        <text x={warnX} y={height - 4} textAnchor="middle" fontSize="12" fill="#92400e">
          lent au-delà de {formatNumber(data[0]?.warnAt ?? max)} {data[0]?.unit}
        </text>
      </svg>
      <FiguresTable
        caption={title}
        head={['Mesure', 'Valeur']}
        rows={data.map((d) => [d.label, `${formatNumber(d.value, 1)} ${d.unit}`])}
      />
    </figure>
  )
}

export interface StackDatum {
  label: string
  value: number
  color: string
}

/** One bar split into parts (e.g. the analysis queue now: waiting, in progress, delayed, dead). */
export function StackedBar({ title, data }: { title: string; data: StackDatum[] }) {
  const total = data.reduce((n, d) => n + d.value, 0)
  const summary = `${title} : ${data.map((d) => `${d.label} ${formatNumber(d.value)}`).join(', ')}.`
  let x = 0
  return (
    <figure className="mt-3">
      <svg viewBox="0 0 640 28" role="img" aria-label={summary} className="h-7 w-full max-w-2xl">
        <title>{summary}</title>
        <rect x="0" y="0" width="640" height="28" rx="4" fill="#f1f5f9" />
        {total > 0 &&
          data.map((d) => {
            const w = (d.value / total) * 640
            const rect = <rect key={d.label} x={x} y="0" width={w} height="28" fill={d.color} />
            x += w
            return rect
          })}
      </svg>
      <figcaption className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700" aria-hidden="true">
        {data.map((d) => (
          <span key={d.label} className="inline-flex items-center gap-1.5">
            <span className="inline-block h-2.5 w-2.5 rounded-sm" style={{ background: d.color }} />
            {d.label} : {formatNumber(d.value)}
          </span>
        ))}
      </figcaption>
      <FiguresTable
        caption={title}
        head={['État', 'Tâches']}
        rows={data.map((d) => [d.label, formatNumber(d.value)])}
      />
    </figure>
  )
}

/** The chart's figures as a table, for screen readers (and anyone without the image). */
function FiguresTable({ caption, head, rows }: { caption: string; head: [string, string]; rows: string[][] }) {
  return (
    <table className="sr-only">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head[0]}</th>
          <th scope="col">{head[1]}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([a, b]) => (
          <tr key={a}>
            <th scope="row">{a}</th>
            <td>{b}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** 1, 2 or 5 times a power of ten, at least `n`: a round top for the axis. */
function niceCeiling(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n))
  return ([1, 2, 5, 10].find((m) => m * p >= n) ?? 10) * p
}

/** "1,2 k", "350": short axis labels. */
function compact(n: number): string {
  return new Intl.NumberFormat('fr-FR', { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}
