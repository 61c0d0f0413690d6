/**
 * A deterministic, local stand-in for the AI analysis of a dossier: no network, no model, only
 * readable rules over the title and the description.
 *
 *  - domain: keyword scoring (accent- and case-insensitive), title hits count double;
 *  - dates: 12/03/2027, 12-03-2027, 12.03.2027, 12 mars 2027, 1er avril 2027, 2027-03-12;
 *  - amounts: 15 000 €, 15 000,50 €, 15.000 €, 15000 euros, € 1 200, 2,5 M€, 2 millions d'euros, 3 k€;
 *  - urgency: from the dossier status, deadline dates (a date in the same sentence as "audience",
 *    "délai", "échéance", …) and the words "référé" / "urgent" / "urgence".
 *
 * Same input and same `now` → same output. Hostile input is tolerated: only the first
 * MAX_TEXT_CHARS characters are read, every regex is linear (no nested quantifiers), nothing throws.
 */
import { z } from 'zod'

export type LegalDomain =
  'FAMILLE' | 'TRAVAIL' | 'COMMERCIAL' | 'CIVIL' | 'IMMOBILIER' | 'PENAL' | 'ADMINISTRATIF' | 'AUTRE'
export type Urgency = 'BASSE' | 'NORMALE' | 'HAUTE' | 'CRITIQUE'

export interface AnalysisInput {
  reference: string
  title: string
  clientName: string
  description: string | null
  status: string
  createdAt: Date
}

export interface KeyDate {
  /** ISO yyyy-mm-dd */
  date: string
  /** The words around the date (same sentence), at most 120 characters. */
  context: string
}

export interface KeyAmount {
  /** Euros. */
  amount: number
  context: string
}

export interface AnalysisResult {
  domain: LegalDomain
  urgency: Urgency
  /** French, one sentence. */
  urgencyReason: string
  /** Sorted ascending, deduplicated, at most 10. */
  keyDates: KeyDate[]
  /** In order of appearance, deduplicated by value, at most 10. */
  amounts: KeyAmount[]
  /** French, 1-4 sentences, at most 700 characters. */
  summary: string
  analyzer: string
}

export interface Analyzer {
  readonly name: string
  analyze(input: AnalysisInput, now?: Date): Promise<AnalysisResult>
}

export const LOCAL_ANALYZER_NAME = 'local-rules-v1'

export const LEGAL_DOMAINS = [
  'FAMILLE',
  'TRAVAIL',
  'COMMERCIAL',
  'CIVIL',
  'IMMOBILIER',
  'PENAL',
  'ADMINISTRATIF',
  'AUTRE',
] as const satisfies readonly LegalDomain[]
export const URGENCIES = ['BASSE', 'NORMALE', 'HAUTE', 'CRITIQUE'] as const satisfies readonly Urgency[]

export const DOMAIN_LABELS: Record<LegalDomain, string> = {
  FAMILLE: 'Droit de la famille',
  TRAVAIL: 'Droit du travail',
  COMMERCIAL: 'Droit commercial',
  CIVIL: 'Droit civil',
  IMMOBILIER: 'Droit immobilier',
  PENAL: 'Droit pénal',
  ADMINISTRATIF: 'Droit administratif',
  AUTRE: 'Autre',
}

export const URGENCY_LABELS: Record<Urgency, string> = {
  BASSE: 'Basse',
  NORMALE: 'Normale',
  HAUTE: 'Haute',
  CRITIQUE: 'Critique',
}

/** For reading results back (e.g. the JSON `keyDates` / `amounts` columns of Analysis). */
export const keyDateSchema = z.object({ date: z.iso.date(), context: z.string().max(120) })
export const keyAmountSchema = z.object({ amount: z.number().positive(), context: z.string().max(120) })
export const analysisResultSchema = z.object({
  domain: z.enum(LEGAL_DOMAINS),
  urgency: z.enum(URGENCIES),
  urgencyReason: z.string(),
  keyDates: z.array(keyDateSchema).max(10),
  amounts: z.array(keyAmountSchema).max(10),
  summary: z.string().max(700),
  analyzer: z.string(),
})

// ---------------------------------------------------------------------------------------------
// Limits

/** Only this much of title + description is read (the rest is ignored, not an error). */
export const MAX_TEXT_CHARS = 20_000
const MAX_MATCHES = 500 // per extraction pattern
const MAX_KEY_DATES = 10
const MAX_AMOUNTS = 10
const MAX_CONTEXT = 120
const MAX_SUMMARY = 700
const CONTEXT_BEFORE = 50
const CONTEXT_AFTER = 45
/** Urgency thresholds, in calendar days from today (Europe/Paris). */
const CRITICAL_DAYS = 7
const HIGH_DAYS = 30

// ---------------------------------------------------------------------------------------------
// Text clean-up

/** Zero-width characters, soft hyphen and bidi controls: removed (they can split words or reorder text). */
const INVISIBLE_RE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g
/** Control characters and exotic spaces (incl. \u00a0 and \u202f thousands separators): a plain space. */
const SPACE_LIKE_RE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\t]/g
const APOSTROPHE_RE = /[\u2018\u2019\u02bc\u0060\u00b4]/g
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Any value → a string of at most `max` characters (never throws). */
function asText(value: unknown, max: number): string {
  let s: string
  if (typeof value === 'string') s = value
  else if (value == null) s = ''
  else {
    try {
      s = String(value)
    } catch {
      s = ''
    }
  }
  return s.length > max ? s.slice(0, max) : s
}

/** The text the rules read: NFC, invisible characters dropped, spaces and apostrophes unified. */
function prepare(raw: string): string {
  let text = raw
  try {
    text = text.normalize('NFC')
  } catch {
    // lone surrogates are fine for normalize(); keep the raw text on any surprise
  }
  return text.replace(INVISIBLE_RE, '').replace(SPACE_LIKE_RE, ' ').replace(APOSTROPHE_RE, "'")
}

/** Accent- and case-insensitive form used for keyword matching (lengths may differ from `text`). */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae')
}

/** One line for display: whitespace collapsed, lone surrogates dropped, the typographic apostrophe (’), clipped to `max` with "…". */
function oneLine(text: string, max: number): string {
  let s = text.replace(/\s+/g, ' ').trim().replace(LONE_SURROGATE_RE, '').replace(/'/g, '’')
  if (s.length > max)
    s =
      s
        .slice(0, max - 1)
        .replace(LONE_SURROGATE_RE, '')
        .trimEnd() + '…'
  return s
}

// ---------------------------------------------------------------------------------------------
// Domain

type KeywordRule = readonly [pattern: string | RegExp, weight: number]

/**
 * Keywords in folded form (no accents, lower case). In a string, `*` means "any letters" (so
 * `licenci*` matches licenciement, licencié…) and a space any run of spaces/hyphens; a keyword
 * always starts and ends on a word boundary. Weight 3 = unambiguous term, 1 = weak hint.
 * Successions are filed under FAMILLE (droit de la famille et du patrimoine).
 */
const DOMAIN_KEYWORDS: Record<Exclude<LegalDomain, 'AUTRE'>, readonly KeywordRule[]> = {
  FAMILLE: [
    ['divorc*', 3],
    [/garde(?! a vue)/, 2],
    ['residence alternee', 3],
    ['pension* alimentaire*', 3],
    ['prestation compensatoire', 3],
    ['succession*', 3],
    ['heriti*', 2],
    ['heritage', 2],
    ['testament*', 2],
    ['adoption', 3],
    ['autorite parentale', 3],
    ['juge aux affaires familiales', 3],
    ['jaf', 3],
    ['filiation', 3],
    ['droit de visite', 2],
    ['regime matrimonial', 3],
    ['tutelle', 2],
    ['curatelle', 2],
    ['pacs', 2],
    ['mariage', 1],
    ['epou*', 1],
    ['enfant*', 1],
  ],
  TRAVAIL: [
    ['licenci*', 3],
    [/prud'? ?hom[a-z]*/, 3],
    ['contrat* de travail', 3],
    ['harcelement', 2],
    ['rupture conventionnelle', 3],
    ['salarie*', 2],
    ['employeur*', 2],
    ['heures supplementaires', 3],
    ['faute grave', 2],
    ['demission*', 2],
    ['inaptitude', 2],
    ['accident* du travail', 3],
    ['convention collective', 3],
    ['cdi', 2],
    ['cdd', 2],
    ["periode d'essai", 3],
    ['conge* paye*', 2],
    ['code du travail', 3],
    ['inspection du travail', 3],
    ['sans cause reelle et serieuse', 3],
    ['salaire*', 1],
  ],
  COMMERCIAL: [
    ['bail commercial', 3],
    ['baux commerciaux', 3],
    ['locaux commerciaux', 2],
    ['fonds de commerce', 3],
    ['cession* de parts', 3],
    ["cession* d'actions", 3],
    ['parts sociales', 2],
    ['creance* commerciale*', 3],
    ['concurrence deloyale', 3],
    ['recouvrement', 2],
    ['facture* impayee*', 2],
    ['tribunal de commerce', 3],
    ['tribunal des activites economiques', 3],
    ['redressement judiciaire', 3],
    ['liquidation judiciaire', 3],
    ['procedure collective', 3],
    ["pacte d'associes", 3],
    ['rupture brutale', 3],
    ['relations commerciales', 2],
    ['agent commercial', 3],
    ['associe*', 1],
    ['injonction de payer', 1],
    ['fournisseur*', 1],
    ['franchise', 1],
  ],
  IMMOBILIER: [
    ["bail d'habitation", 3],
    ['copropriete', 3],
    ['coproprietaire*', 2],
    ['syndic', 2],
    ['vente immobiliere', 3],
    ['servitude*', 3],
    ['compromis de vente', 3],
    ['promesse de vente', 2],
    ['expulsion', 2],
    ['bornage', 3],
    ['depot de garantie', 2],
    ['etat des lieux', 2],
    ['parties communes', 2],
    ['bail', 1],
    ['locataire*', 1],
    ['bailleur*', 1],
    ['loyer*', 1],
    ['logement', 1],
    ['appartement', 1],
    ['immeuble', 1],
    ['acquereur*', 1],
    ['notaire', 1],
  ],
  CIVIL: [
    ['responsabilite*', 2],
    ['vice* cache*', 3],
    ['assurance*', 2],
    ['assureur*', 2],
    ['accident* de la circulation', 3],
    ['trouble* anorma* de voisinage', 3],
    ['voisinage', 2],
    ['malfacon*', 2],
    ['garantie decennale', 3],
    ['reconnaissance de dette', 3],
    ['erreur medicale', 3],
    ['inexecution', 2],
    ['clause penale', 2],
    [/contrats?(?! de travail)/, 1],
    ['dommage*', 1],
    ['prejudice*', 1],
    ['indemnisation', 1],
    ['mise en demeure', 1],
    ['tribunal judiciaire', 1],
  ],
  PENAL: [
    ['plainte*', 3],
    ['garde a vue', 3],
    ['delit*', 3],
    ['escroquer*', 3],
    ['abus de confiance', 3],
    ['abus de biens sociaux', 3],
    ['tribunal correctionnel', 3],
    ["cour d'assises", 3],
    ['comparution immediate', 3],
    ['partie civile', 3],
    ['mis* en examen', 3],
    ["juge d'instruction", 3],
    ['recel', 3],
    ['code penal', 3],
    ['poursuites penales', 3],
    ['vol', 2],
    ['vols', 2],
    ['infraction*', 2],
    ['procureur*', 2],
    ['violences', 2],
    ['diffamation', 2],
    ['contravention*', 2],
    ['prevenu*', 2],
    ['casier judiciaire', 2],
    ['victime*', 1],
  ],
  ADMINISTRATIF: [
    ['permis de construire', 3],
    ['tribunal administratif', 3],
    ["cour administrative d'appel", 3],
    ['prefecture', 3],
    ['prefet', 3],
    ['titre* de sejour', 3],
    ['oqtf', 3],
    ['obligation de quitter le territoire', 3],
    ['recours pour exces de pouvoir', 3],
    ['marche* public*', 3],
    ["conseil d'etat", 3],
    ['arrete municipal', 3],
    ['arrete prefectoral', 3],
    ['expropriation', 3],
    ['naturalisation', 3],
    ['contentieux administratif', 3],
    ['recours gracieux', 2],
    ['fonctionnaire*', 2],
    ['urbanisme', 2],
    ['mairie', 1],
    ['collectivite*', 1],
  ],
}

/** On equal scores the more specific domain wins (CIVIL, the broadest, last). */
const DOMAIN_PRIORITY: readonly Exclude<LegalDomain, 'AUTRE'>[] = [
  'PENAL',
  'ADMINISTRATIF',
  'TRAVAIL',
  'FAMILLE',
  'COMMERCIAL',
  'IMMOBILIER',
  'CIVIL',
]
/** A keyword counts at most this many times per text (a repeated word does not swamp the rest). */
const MAX_HITS_PER_KEYWORD = 3

function keywordRegExp(pattern: string | RegExp): RegExp {
  const body =
    typeof pattern === 'string'
      ? pattern
          .split('*')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s-]+'))
          .join('[a-z]*')
      : pattern.source
  return new RegExp(`(?<![a-z0-9])(?:${body})(?![a-z0-9])`, 'g')
}

const COMPILED_KEYWORDS = DOMAIN_PRIORITY.map((domain) => ({
  domain,
  rules: DOMAIN_KEYWORDS[domain].map(([pattern, weight]) => ({ re: keywordRegExp(pattern), weight })),
}))

function countHits(re: RegExp, text: string): number {
  re.lastIndex = 0
  let n = 0
  while (n < MAX_HITS_PER_KEYWORD && re.exec(text)) n++
  return n
}

/** Scores every domain (title hits ×2) and returns the best; AUTRE when nothing matched. */
export function detectDomain(
  title: string,
  description: string,
): { domain: LegalDomain; scores: Record<LegalDomain, number> } {
  const t = fold(title)
  const d = fold(description)
  const scores = {
    FAMILLE: 0,
    TRAVAIL: 0,
    COMMERCIAL: 0,
    CIVIL: 0,
    IMMOBILIER: 0,
    PENAL: 0,
    ADMINISTRATIF: 0,
    AUTRE: 0,
  }
  let best: LegalDomain = 'AUTRE'
  for (const { domain, rules } of COMPILED_KEYWORDS) {
    for (const { re, weight } of rules) scores[domain] += weight * (2 * countHits(re, t) + countHits(re, d))
    if (scores[domain] > scores[best]) best = domain // strict: earlier (more specific) domain keeps ties
  }
  return { domain: best, scores }
}

// ---------------------------------------------------------------------------------------------
// Context around a match

interface Around {
  /** For display: the same-sentence words around the match, at most 120 characters. */
  context: string
  /** Raw text from the start of the sentence (at most DEADLINE_BEFORE chars) to the match. */
  before: string
  /** Raw text from the match to the end of the sentence (at most DEADLINE_AFTER chars). */
  after: string
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\n'
const isTerminator = (c: string | undefined) => c === '.' || c === '!' || c === '?' || c === ';' || c === '…'

/**
 * Words that end with a dot without ending the sentence: civilities (M. Leroy, Mme. Fabre), titles,
 * and the abbreviations of legal writing (art. 1240, al. 2, Cass. civ., cf., p.). Folded, lower case.
 */
const ABBREVIATIONS = new Set([
  'm',
  'mm',
  'mme',
  'mmes',
  'mlle',
  'mlles',
  'me',
  'mes',
  'dr',
  'pr',
  'st',
  'ste',
  'sté',
  'ets',
  'art',
  'arts',
  'al',
  'cf',
  'p',
  'pp',
  'n',
  'no',
  'vol',
  'chap',
  'éd',
  'ed',
  'etc',
  'env',
  'av',
  'bd',
  'cass',
  'civ',
  'com',
  'crim',
  'soc',
  'ch',
  'req',
  'ass',
  'plén',
  'mixte',
  'ord',
  'ca',
  'tgi',
  'tj',
  'c',
  'l',
  'r',
  'd',
  'jur',
  'bull',
  'obs',
  'note',
  'préc',
  'op',
  'cit',
  'ibid',
  'réf',
  'tél',
])

/** True when text[i] is a sentence break: a terminator not closing an abbreviation or an initial (J. Dupont). */
function endsSentence(text: string, i: number): boolean {
  if (!isTerminator(text[i])) return false
  if (text[i] !== '.') return true
  let w = i
  while (w > 0 && /\p{L}/u.test(text[w - 1]!)) w--
  const word = text.slice(w, i)
  if (word === '') return true
  // A lone capital is an initial; a known abbreviation never ends a sentence.
  return !((word.length === 1 && word === word.toUpperCase()) || ABBREVIATIONS.has(word.toLowerCase()))
}

/**
 * The part of the sentence around text[start, end) within `maxBefore` / `maxAfter` characters.
 * Sentence breaks are ". " "! " "? " "; " and newlines (so 12.03.2027 or 15.000 do not break).
 * When the window cuts a sentence, the partial word at the cut is dropped and `cut*` is set.
 */
function sentencePart(
  text: string,
  [start, end]: readonly [number, number],
  { maxBefore, maxAfter }: { maxBefore: number; maxAfter: number },
) {
  const from = Math.max(0, start - maxBefore)
  let before = text.slice(from, start)
  let cutLeft = from > 0
  for (let i = before.length - 1; i >= 0; i--) {
    const c = before[i]
    if (c === '\n' || (isSpace(before[i + 1]) && endsSentence(text, from + i))) {
      before = before.slice(i + 1)
      cutLeft = false
      break
    }
  }
  if (cutLeft) {
    const sp = before.search(/\s/)
    before = sp >= 0 ? before.slice(sp + 1) : ''
  }

  const to = Math.min(text.length, end + maxAfter)
  let after = text.slice(end, to)
  let cutRight = to < text.length
  for (let i = 0; i < after.length; i++) {
    const c = after[i]
    if (
      c === '\n' ||
      (endsSentence(text, end + i) && (i + 1 >= after.length ? to >= text.length : isSpace(after[i + 1])))
    ) {
      after = after.slice(0, i)
      cutRight = false
      break
    }
  }
  if (cutRight) {
    const sp = after.lastIndexOf(' ')
    after = sp >= 0 ? after.slice(0, sp) : ''
  }
  return { before, after, cutLeft, cutRight }
}

/** A deadline word this far from a date, in the same sentence, makes it a deadline. */
const DEADLINE_BEFORE = 100
const DEADLINE_AFTER = 60

function around(text: string, start: number, end: number): Around {
  const shown = sentencePart(text, [start, end], { maxBefore: CONTEXT_BEFORE, maxAfter: CONTEXT_AFTER })
  const raw = `${shown.cutLeft ? '…' : ''}${shown.before}${text.slice(start, end)}${shown.after}${shown.cutRight ? '…' : ''}`
  const wide = sentencePart(text, [start, end], { maxBefore: DEADLINE_BEFORE, maxAfter: DEADLINE_AFTER })
  return { context: oneLine(raw, MAX_CONTEXT), before: wide.before, after: wide.after }
}

// ---------------------------------------------------------------------------------------------
// Dates

const MONTHS: Record<string, number> = {
  janvier: 1,
  fevrier: 2,
  mars: 3,
  avril: 4,
  mai: 5,
  juin: 6,
  juillet: 7,
  aout: 8,
  septembre: 9,
  octobre: 10,
  novembre: 11,
  decembre: 12,
}
const MONTH_NAMES_FR = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
]

/** 12/03/2027, 12-03-2027, 12.03.2027 (same separator twice). */
const NUMERIC_DATE_RE = /(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?!\d)/g
/** 2027-03-12 (optionally followed by a time). */
const ISO_DATE_RE = /(?<![\d/.-])(\d{4})-(\d{2})-(\d{2})(?![\d])/g
/** 12 mars 2027, 1er avril 2027, 1ᵉʳ août 2027 (month accents optional, any case). */
const TEXT_DATE_RE =
  /(?<![\p{L}\p{N}])(1er|1ᵉʳ|\d{1,2}) {1,3}(janvier|f[eé]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[eé]cembre) {1,3}(\d{4})(?!\d)/giu

/**
 * Deadline words (folded): a date in the same sentence (≤ 100 chars before, ≤ 60 after) is a
 * deadline. `deadlineLabel` turns the word into what the urgency reason shows.
 */
const DEADLINE_RE =
  /(?<![a-z])(audiences?|delais?|echeances?|prescri[a-z]*|convoc[a-z]*|convoqu[a-z]*|assign[a-z]*|referes?|date limite|au plus tard|jusqu'au|avant le|plaidoiries?|forclusion|delibere|expir[a-z]*)(?![a-z])/g

function deadlineLabel(word: string): string {
  if (word.startsWith('audience')) return 'Audience'
  if (word.startsWith('delai')) return 'Fin de délai'
  if (word.startsWith('echeance')) return 'Échéance'
  if (word.startsWith('prescri')) return 'Prescription'
  if (word.startsWith('convo')) return 'Convocation'
  if (word.startsWith('assign')) return 'Assignation'
  if (word.startsWith('refere')) return 'Référé'
  if (word.startsWith('plaidoirie')) return 'Plaidoiries'
  if (word === 'forclusion') return 'Forclusion'
  if (word === 'delibere') return 'Délibéré'
  if (word.startsWith('expir')) return 'Expiration'
  return 'Date limite' // date limite, au plus tard, jusqu'au, avant le
}

/** The deadline word nearest to the match in its sentence, if any. */
function nearestDeadlineWord(before: string, after: string): string | null {
  let best: { label: string; distance: number } | null = null
  const b = fold(before)
  const a = fold(after)
  DEADLINE_RE.lastIndex = 0
  for (let m = DEADLINE_RE.exec(b); m; m = DEADLINE_RE.exec(b)) {
    const distance = b.length - (m.index + m[0].length)
    if (!best || distance <= best.distance) best = { label: deadlineLabel(m[0]), distance }
  }
  DEADLINE_RE.lastIndex = 0
  const m = DEADLINE_RE.exec(a)
  if (m && (!best || m.index < best.distance)) best = { label: deadlineLabel(m[0]), distance: m.index }
  return best?.label ?? null
}

function isoOf(year: number, month: number, day: number): string | null {
  if (!(year >= 1900 && year <= 2199 && month >= 1 && month <= 12 && day >= 1)) return null
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (day > daysInMonth) return null // 31/02, 29/02 of a non-leap year…
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

/** yyyy-mm-dd → dd/mm/yyyy */
export function formatDateFr(iso: string): string {
  const [y, m, d] = iso.split('-')
  return `${d}/${m}/${y}`
}

/** yyyy-mm-dd → "12 mars 2027" */
export function formatDateLongFr(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number)
  return `${d === 1 ? '1er' : d} ${MONTH_NAMES_FR[(m ?? 1) - 1]} ${y}`
}

interface FoundDate extends KeyDate {
  index: number
  /** Display word of the nearest deadline word in the sentence ("Audience"…), null for a plain date. */
  deadline: string | null
}

function extractDates(text: string): FoundDate[] {
  const found: FoundDate[] = []
  const add = (iso: string | null, m: RegExpExecArray) => {
    if (!iso) return
    const { context, before, after } = around(text, m.index, m.index + m[0].length)
    found.push({ date: iso, context, index: m.index, deadline: nearestDeadlineWord(before, after) })
  }
  for (const m of matches(NUMERIC_DATE_RE, text)) add(isoOf(Number(m[4]), Number(m[3]), Number(m[1])), m)
  for (const m of matches(ISO_DATE_RE, text)) add(isoOf(Number(m[1]), Number(m[2]), Number(m[3])), m)
  for (const m of matches(TEXT_DATE_RE, text)) {
    const day = /^1\D/.test(m[1] ?? '') ? 1 : Number(m[1])
    add(isoOf(Number(m[3]), MONTHS[fold(m[2] ?? '')] ?? 0, day), m)
  }
  found.sort((a, b) => a.index - b.index)
  // One entry per day: the first mention, unless a later one is a deadline (more telling).
  const byDate = new Map<string, FoundDate>()
  for (const f of found) {
    const seen = byDate.get(f.date)
    if (!seen || (!seen.deadline && f.deadline)) byDate.set(f.date, f)
  }
  return [...byDate.values()]
}

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0
  for (let n = 0; n < MAX_MATCHES; n++) {
    const m = re.exec(text)
    if (!m) return
    if (m[0].length === 0) re.lastIndex++
    yield m
  }
}

// ---------------------------------------------------------------------------------------------
// Amounts

/** Integer part: 15 000 / 15.000 / 1 200 000 (groups of 3, at most 4 of them) or plain digits. */
const NUM = String.raw`\d{1,3}(?:[ .]\d{3}){1,4}|\d{1,12}`
/** Cents: ,50 or .50 */
const CENTS = String.raw`(?:[,.](\d{1,2}))?`
const SCALE = String.raw`(?: ?(millions?|milliards?|Md|M|k|K) ?(?:d')?)?`
const CURRENCY = String.raw`(?:€|[eE]uros?(?!\p{L})|EUR(?!\p{L}))`
/** "15 000,50 €" / "2,5 M€" / "2 millions d'euros" | "€ 1 200" / "EUR 1 200,50" */
const AMOUNT_RE = new RegExp(
  String.raw`(?<![\d.,])(${NUM})${CENTS}${SCALE} ?${CURRENCY}|(?:€|EUR) ?(${NUM})${CENTS}(?![\d])`,
  'gu',
)

function scaleOf(word: string | undefined): number {
  if (!word) return 1
  if (word.startsWith('milliard') || word === 'Md') return 1e9
  if (word.startsWith('million') || word === 'M') return 1e6
  return 1e3 // k, K
}

function extractAmounts(text: string): KeyAmount[] {
  const amounts: KeyAmount[] = []
  const seen = new Set<number>()
  for (const m of matches(AMOUNT_RE, text)) {
    // Groups: 1 integer, 2 cents, 3 scale ("15 000,50 €") | 4 integer, 5 cents ("€ 1 200").
    const integer = (m[1] ?? m[4] ?? '').replace(/[ .]/g, '')
    const cents = m[1] !== undefined ? m[2] : m[5]
    const value = Number(`${integer}${cents ? `.${cents}` : ''}`) * scaleOf(m[1] !== undefined ? m[3] : undefined)
    const amount = Math.round(value * 100) / 100
    if (!Number.isFinite(amount) || amount <= 0 || seen.has(amount)) continue
    seen.add(amount)
    amounts.push({ amount, context: around(text, m.index, m.index + m[0].length).context })
    if (amounts.length >= MAX_AMOUNTS) break
  }
  return amounts
}

/** 15000.5 → "15 000,50 €" (plain spaces, French decimal comma). */
export function formatEuros(amount: number): string {
  const negative = amount < 0
  const cents = Math.round(Math.abs(amount) * 100)
  const integer = Math.floor(cents / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
  const rest = cents % 100
  return `${negative ? '-' : ''}${integer}${rest ? `,${String(rest).padStart(2, '0')}` : ''} €`
}

// ---------------------------------------------------------------------------------------------
// Urgency

/** "référé", "urgent(e)(s)", "urgence" (not "urgences": the hospital ward), unless negated just before. */
const URGENT_RE = /(?<![a-z])(referes?|urgent(?:e|es|s)?|urgence)(?![a-z])/g
const NEGATION_RE = /(?:^|[^a-z])(?:pas|sans|aucune?|non|nullement|ni)(?![a-z])/

function urgentWord(folded: string): string | null {
  for (const m of matches(URGENT_RE, folded)) {
    let before = folded.slice(Math.max(0, m.index - 30), m.index)
    const stop = Math.max(before.lastIndexOf('.'), before.lastIndexOf(';'), before.lastIndexOf('\n'))
    if (stop >= 0) before = before.slice(stop + 1)
    if (!NEGATION_RE.test(before)) return m[1] ?? m[0]
  }
  return null
}

let parisDay: Intl.DateTimeFormat | null | undefined

/** Today's date (yyyy-mm-dd) in Europe/Paris, where the cabinets work; UTC if the zone is unknown. */
function todayIso(now: Date): string {
  if (parisDay === undefined) {
    try {
      parisDay = new Intl.DateTimeFormat('en-US', {
        timeZone: 'Europe/Paris',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      })
    } catch {
      parisDay = null
    }
  }
  if (parisDay) {
    const parts = Object.fromEntries(parisDay.formatToParts(now).map((p) => [p.type, p.value]))
    if (parts.year && parts.month && parts.day) return `${parts.year}-${parts.month}-${parts.day}`
  }
  return now.toISOString().slice(0, 10)
}

function daysBetween(fromIso: string, toIso: string): number {
  const ms = (iso: string) => {
    const [y, m, d] = iso.split('-').map(Number)
    return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)
  }
  return Math.round((ms(toIso) - ms(fromIso)) / 86_400_000)
}

function inDays(days: number): string {
  if (days === 0) return "aujourd'hui même"
  if (days === 1) return 'demain'
  return `dans ${days} jours`
}

interface Upcoming {
  date: string
  days: number
  label: string
}

/**
 * Rules, first match wins:
 *  1. status CLOSED / ARCHIVED → BASSE (nothing to do on a closed file, whatever its text says);
 *  2. a deadline date (same sentence as audience, délai, échéance…) today or within 7 days → CRITIQUE;
 *  3. the text says référé / urgent / urgence (not negated) → CRITIQUE;
 *  4. a deadline date within 30 days → HAUTE;
 *  5. otherwise NORMALE.
 */
function decideUrgency(
  status: string,
  nextDeadline: Upcoming | null,
  urgent: string | null,
): { urgency: Urgency; reason: string; reasonNamesDeadline: boolean } {
  const s = status.trim().toUpperCase()
  if (s === 'CLOSED' || s === 'ARCHIVED') {
    const state = s === 'CLOSED' ? 'clôturé' : 'archivé'
    if (nextDeadline && nextDeadline.days <= HIGH_DAYS) {
      return {
        urgency: 'BASSE',
        reason: `Dossier ${state}, mais le texte mentionne une échéance (${nextDeadline.label.toLowerCase()}) le ${formatDateFr(nextDeadline.date)} à vérifier.`,
        reasonNamesDeadline: true,
      }
    }
    return { urgency: 'BASSE', reason: `Dossier ${state}, aucune action n’est attendue.`, reasonNamesDeadline: false }
  }
  const deadlineSentence = (d: Upcoming) => `${d.label} le ${formatDateFr(d.date)}, ${inDays(d.days)}.`
  if (nextDeadline && nextDeadline.days <= CRITICAL_DAYS) {
    return { urgency: 'CRITIQUE', reason: deadlineSentence(nextDeadline), reasonNamesDeadline: true }
  }
  if (urgent) {
    const reason = urgent.startsWith('refere')
      ? 'Le dossier mentionne une procédure de référé.'
      : `Le dossier est signalé comme urgent (« ${urgent} »).`
    return { urgency: 'CRITIQUE', reason, reasonNamesDeadline: false }
  }
  if (nextDeadline && nextDeadline.days <= HIGH_DAYS) {
    return { urgency: 'HAUTE', reason: deadlineSentence(nextDeadline), reasonNamesDeadline: true }
  }
  if (nextDeadline) {
    return {
      urgency: 'NORMALE',
      reason: `Prochaine échéance (${nextDeadline.label.toLowerCase()}) le ${formatDateFr(nextDeadline.date)}, ${inDays(nextDeadline.days)}.`,
      reasonNamesDeadline: true,
    }
  }
  return {
    urgency: 'NORMALE',
    reason: `Aucune échéance identifiée dans les ${HIGH_DAYS} prochains jours.`,
    reasonNamesDeadline: false,
  }
}

// ---------------------------------------------------------------------------------------------
// The analysis

/**
 * At most 10 dates, chosen by usefulness: upcoming ones first (nearest first), then the most
 * recent past ones; returned in ascending order.
 */
function pickKeyDates(dates: (FoundDate & { days: number })[]): KeyDate[] {
  const upcoming = dates.filter((d) => d.days >= 0).sort((a, b) => a.days - b.days)
  const past = dates.filter((d) => d.days < 0).sort((a, b) => b.days - a.days)
  return [...upcoming, ...past]
    .slice(0, MAX_KEY_DATES)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
    .map(({ date, context }) => ({ date, context }))
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

function buildSummary(parts: {
  reference: string
  title: string
  client: string
  domain: LegalDomain
  urgency: Urgency
  reason: string
  nextDate: (Upcoming & { isDeadline: boolean }) | null
  amounts: KeyAmount[]
}): string {
  const { reference, title, client, domain, urgency, reason, nextDate, amounts } = parts
  const sentences: string[] = []
  const subject = [reference && `Dossier ${reference}`, title && `« ${title} »`].filter(Boolean).join(' ') || 'Dossier'
  const forClient = client ? `pour ${client}` : 'pour un client non renseigné'
  const inDomain =
    domain === 'AUTRE'
      ? 'dont le domaine juridique n’a pas pu être déterminé'
      : `relevant du ${DOMAIN_LABELS[domain].toLowerCase()}`
  sentences.push(`${subject} ${forClient}, ${inDomain}.`)
  sentences.push(`Urgence ${URGENCY_LABELS[urgency].toLowerCase()} : ${lowerFirst(reason)}`)
  if (nextDate) {
    sentences.push(
      nextDate.isDeadline
        ? `Prochaine échéance : ${nextDate.label.toLowerCase()} le ${formatDateLongFr(nextDate.date)} (${inDays(nextDate.days)}).`
        : `Prochaine date citée : ${formatDateLongFr(nextDate.date)} (${inDays(nextDate.days)}).`,
    )
  }
  if (amounts.length > 0) {
    const shown = amounts.slice(0, 3).map((a) => formatEuros(a.amount))
    const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} et ${shown[shown.length - 1]}`
    const more = amounts.length > 3 ? ` (${amounts.length} montants relevés)` : ''
    sentences.push(`${amounts.length === 1 ? 'Montant en jeu' : 'Montants en jeu'} : ${list}${more}.`)
  }
  return oneLine(sentences.join(' '), MAX_SUMMARY)
}

/** The analysis itself, synchronous and pure (given `now`). Never throws on odd input. */
export function analyzeDossier(input: AnalysisInput, now: Date = new Date()): AnalysisResult {
  const safeNow = now instanceof Date && !Number.isNaN(now.getTime()) ? now : new Date()
  const title = prepare(asText(input?.title, 1_000)).replace(/\n/g, ' ')
  // Title and description are read together (a date or amount in the title counts); the cap applies to the whole.
  const text = `${title}\n${prepare(asText(input?.description, MAX_TEXT_CHARS))}`.slice(0, MAX_TEXT_CHARS)
  const description = text.slice(title.length + 1)

  const { domain } = detectDomain(title, description)

  const today = todayIso(safeNow)
  const dates = extractDates(text).map((d) => ({ ...d, days: daysBetween(today, d.date) }))
  const upcoming = dates.filter((d) => d.days >= 0).sort((a, b) => a.days - b.days || a.index - b.index)
  const deadline = upcoming.find((d) => d.deadline !== null)
  const nextDeadline: Upcoming | null = deadline
    ? { date: deadline.date, days: deadline.days, label: deadline.deadline ?? 'Échéance' }
    : null
  const amounts = extractAmounts(text)

  const status = asText(input?.status, 50)
  const { urgency, reason, reasonNamesDeadline } = decideUrgency(status, nextDeadline, urgentWord(fold(text)))
  const urgencyReason = oneLine(reason, 200)

  // The next deadline if any (else the next plain date), unless the urgency reason already names it.
  const first = upcoming[0]
  const nextDate =
    nextDeadline && !reasonNamesDeadline
      ? { ...nextDeadline, isDeadline: true }
      : !nextDeadline && first
        ? { date: first.date, days: first.days, label: '', isDeadline: false }
        : null

  const summary = buildSummary({
    reference: oneLine(prepare(asText(input?.reference, 200)), 40),
    title: oneLine(title, 120),
    client: oneLine(prepare(asText(input?.clientName, 500)), 80),
    domain,
    urgency,
    reason: urgencyReason,
    nextDate,
    amounts,
  })

  return {
    domain,
    urgency,
    urgencyReason,
    keyDates: pickKeyDates(dates),
    amounts,
    summary,
    analyzer: LOCAL_ANALYZER_NAME,
  }
}

/** The local rules behind the `Analyzer` interface a real model would also implement. */
export function createLocalAnalyzer(): Analyzer {
  return {
    name: LOCAL_ANALYZER_NAME,
    async analyze(input: AnalysisInput, now?: Date): Promise<AnalysisResult> {
      return analyzeDossier(input, now)
    },
  }
}
