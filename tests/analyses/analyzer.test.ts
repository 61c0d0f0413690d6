import { describe, expect, it } from 'vitest'
import {
  analysisResultSchema,
  createLocalAnalyzer,
  DOMAIN_LABELS,
  URGENCY_LABELS,
  type AnalysisInput,
  type AnalysisResult,
} from '@/lib/analyses/analyzer'

/** Sunday 7 March 2027, 10:00 in Paris. */
const NOW = new Date('2027-03-07T09:00:00Z')
const analyzer = createLocalAnalyzer()

function input(description: string | null, overrides: Partial<AnalysisInput> = {}): AnalysisInput {
  return {
    reference: 'DUP-2027-001',
    title: 'Dossier',
    clientName: 'Mme Claire Bernard',
    description,
    status: 'OPEN',
    createdAt: new Date('2027-01-10T09:00:00Z'),
    ...overrides,
  }
}

const analyze = (
  description: string | null,
  overrides: Partial<AnalysisInput> = {},
  now: Date = NOW,
): Promise<AnalysisResult> => analyzer.analyze(input(description, overrides), now)

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('createLocalAnalyzer', () => {
  it('names itself and tags its results', async () => {
    expect(analyzer.name).toBe('local-rules-v1')
    const result = await analyze('Divorce par consentement mutuel.')
    expect(result.analyzer).toBe('local-rules-v1')
  })

  it('returns results that match the published schema and survive a JSON round trip', async () => {
    const result = await analyze("Licenciement contesté : l'audience est fixée au 12/03/2027, 15 000 € réclamés.")
    expect(analysisResultSchema.parse(result)).toEqual(result)
    expect(JSON.parse(JSON.stringify(result))).toEqual(result)
  })

  it('exposes French labels for every domain and urgency', () => {
    expect(DOMAIN_LABELS.FAMILLE).toBe('Droit de la famille')
    expect(DOMAIN_LABELS.TRAVAIL).toBe('Droit du travail')
    expect(DOMAIN_LABELS.COMMERCIAL).toBe('Droit commercial')
    expect(DOMAIN_LABELS.AUTRE).toBe('Autre')
    expect(Object.keys(DOMAIN_LABELS)).toHaveLength(8)
    expect(URGENCY_LABELS).toEqual({ BASSE: 'Basse', NORMALE: 'Normale', HAUTE: 'Haute', CRITIQUE: 'Critique' })
  })
})

describe('domain', () => {
  const cases: [string, string, string][] = [
    [
      'FAMILLE',
      'Divorce Bernard',
      'Mme Bernard engage une procédure de divorce. Elle demande la garde des enfants et une pension alimentaire devant le juge aux affaires familiales.',
    ],
    [
      'FAMILLE',
      'Succession Aubert',
      'Partage de la succession de M. Aubert entre ses trois héritiers ; le testament est contesté.',
    ],
    [
      'TRAVAIL',
      'Licenciement Petit',
      "M. Petit conteste son licenciement pour faute grave et saisit le conseil de prud'hommes. Son contrat de travail prévoyait des heures supplémentaires.",
    ],
    [
      'TRAVAIL',
      'Rupture conventionnelle Fabre',
      "Négociation de l'indemnité de rupture avec l'employeur de Mme Fabre, salariée cadre.",
    ],
    [
      'COMMERCIAL',
      'Bail commercial Lefèvre',
      'Renouvellement du bail commercial de la SARL Boulangerie Lefèvre et litige sur la cession du fonds de commerce.',
    ],
    [
      'COMMERCIAL',
      'Impayés Garnier',
      'Recouvrement de factures impayées et action en concurrence déloyale devant le tribunal de commerce.',
    ],
    [
      'IMMOBILIER',
      'Copropriété Les Tilleuls',
      "Litige avec le syndic de la copropriété au sujet d'une servitude de passage et d'un bail d'habitation.",
    ],
    [
      'CIVIL',
      'Vice caché véhicule Roux',
      "Action en garantie des vices cachés et mise en jeu de la responsabilité du vendeur ; l'assurance refuse de prendre en charge les dommages.",
    ],
    [
      'PENAL',
      'Plainte Durand',
      'M. Durand a déposé plainte pour escroquerie ; son associé a été placé en garde à vue, le délit est contesté.',
    ],
    [
      'ADMINISTRATIF',
      'Refus de titre de séjour',
      'Recours devant le tribunal administratif contre le refus de titre de séjour opposé par la préfecture.',
    ],
    [
      'ADMINISTRATIF',
      'Permis de construire Lopez',
      'Recours contre le refus de permis de construire opposé par la mairie.',
    ],
    ['AUTRE', 'Rendez-vous', 'Premier rendez-vous de présentation, rien de précis pour le moment.'],
  ]

  it.each(cases)('%s: %s', async (domain, title, description) => {
    const result = await analyze(description, { title })
    expect(result.domain).toBe(domain)
  })

  it('ignores accents and case', async () => {
    const result = await analyze('LICENCIEMENT ABUSIF, SAISINE DU CONSEIL DE PRUDHOMMES, HARCELEMENT', {
      title: 'DOSSIER',
    })
    expect(result.domain).toBe('TRAVAIL')
  })

  it('tells "garde à vue" (pénal) from "garde des enfants" (famille)', async () => {
    const custody = await analyze('Placé en garde à vue, le père demande à voir ses enfants et son épouse.', {
      title: 'Nouveau dossier',
    })
    expect(custody.domain).toBe('PENAL')
    expect((await analyze('Elle demande la garde des enfants.', { title: 'Nouveau dossier' })).domain).toBe('FAMILLE')
  })

  it('reads a "contrat de travail" as labour law, a bare "contrat" as civil law', async () => {
    expect((await analyze('Litige sur le contrat de travail signé en 2020.')).domain).toBe('TRAVAIL')
    expect((await analyze("Litige sur l'exécution d'un contrat de prestation et le préjudice subi.")).domain).toBe(
      'CIVIL',
    )
  })

  it('weighs the title: a labour title wins over a passing civil word', async () => {
    const result = await analyze('Le client demande réparation du préjudice subi.', { title: 'Licenciement Dubois' })
    expect(result.domain).toBe('TRAVAIL')
  })

  it('gives AUTRE when there is no description and an uninformative title', async () => {
    const result = await analyze(null, { title: 'Nouveau client' })
    expect(result.domain).toBe('AUTRE')
    expect(result.summary).toContain('dont le domaine juridique n’a pas pu être déterminé')
  })
})

describe('key dates', () => {
  it.each([
    ["L'audience aura lieu le 12/03/2027 au tribunal.", '2027-03-12'],
    ['Relance envoyée le 05-11-2026.', '2026-11-05'],
    ['Courrier du 05.11.2026 resté sans réponse.', '2026-11-05'],
    ['Jugement rendu le 12 mars 2027.', '2027-03-12'],
    ['Jugement rendu le 3 février 2027.', '2027-02-03'],
    ['Jugement rendu le 3 fevrier 2027 (sans accent).', '2027-02-03'],
    ['Jugement rendu le 15 Août 2026.', '2026-08-15'],
    ['Le bail prend effet le 1er avril 2027.', '2027-04-01'],
    ['Date de signature : 2027-03-12.', '2027-03-12'],
    ['Horodatage 2027-03-12T10:00:00Z du greffe.', '2027-03-12'],
  ])('finds the date in %j', async (description, iso) => {
    const result = await analyze(description, { title: 'Dossier' })
    expect(result.keyDates.map((d) => d.date)).toEqual([iso])
  })

  it('ignores impossible dates', async () => {
    const result = await analyze(
      'Dates erronées : 31/02/2027, 29/02/2027, 30 février 2027, 2027-13-01, 00/01/2027, 32/01/2027. Valide : 29/02/2028.',
    )
    expect(result.keyDates.map((d) => d.date)).toEqual(['2028-02-29'])
  })

  it('does not read reference numbers, phone numbers or amounts as dates', async () => {
    const result = await analyze(
      'Dossier n° 2027/123, téléphone 01 23 45 67 89, montant 12.500 €, article 1240 du code civil.',
    )
    expect(result.keyDates).toEqual([])
  })

  it('sorts ascending and keeps one entry per day whatever the format', async () => {
    const result = await analyze(
      "Audience le 12 mars 2027. Conclusions déposées le 01/02/2027. Rappel : l'audience du 12/03/2027 est maintenue. Assignation du 2026-12-15.",
    )
    expect(result.keyDates.map((d) => d.date)).toEqual(['2026-12-15', '2027-02-01', '2027-03-12'])
  })

  it('gives each date the words around it, within its sentence, at most 120 characters', async () => {
    const result = await analyze(
      "Premier échange avec le client le 10/01/2027. L'audience de plaidoiries devant la chambre sociale de la cour d'appel de Versailles est fixée au 12/03/2027 à 14 heures, salle 3, en présence des deux parties et de leurs conseils respectifs.",
    )
    const hearing = result.keyDates.find((d) => d.date === '2027-03-12')
    expect(hearing?.context).toContain('12/03/2027')
    expect(hearing?.context).toContain('est fixée au')
    expect(hearing?.context).not.toContain('Premier échange') // another sentence
    for (const d of result.keyDates) expect(d.context.length).toBeLessThanOrEqual(120)
    expect(result.keyDates.find((d) => d.date === '2027-01-10')?.context).toBe(
      'Premier échange avec le client le 10/01/2027',
    )
  })

  it('keeps at most 10 dates, preferring upcoming ones over old ones', async () => {
    const past = Array.from({ length: 12 }, (_, i) => `Pièce du ${String(i + 1).padStart(2, '0')}/01/2020.`).join(' ')
    const result = await analyze(`${past} Audience le 20/03/2027. Délibéré le 15/04/2027.`)
    const dates = result.keyDates.map((d) => d.date)
    expect(dates).toHaveLength(10)
    expect(dates).toContain('2027-03-20')
    expect(dates).toContain('2027-04-15')
    expect(dates[0]).toBe('2020-01-05') // the 8 most recent past dates, then the 2 upcoming ones
    expect([...dates].sort()).toEqual(dates)
  })
})

describe('amounts', () => {
  it.each([
    ['Le client réclame 15 000 € de dommages et intérêts.', 15000],
    ['Indemnité de 15 000,50 € versée.', 15000.5],
    ['Créance de 15.000 € non réglée.', 15000],
    ['Créance de 15.000,75 € non réglée.', 15000.75],
    ['Il reste 15000 euros à payer.', 15000],
    ['Loyer de 1 euro symbolique.', 1],
    ['Provision demandée : € 1 200.', 1200],
    ['Montant : EUR 3 450,20 selon facture.', 3450.2],
    ['Prix de cession : 2,5 M€.', 2500000],
    ["Préjudice estimé à 2 millions d'euros.", 2000000],
    ['Budget : 3 k€.', 3000],
    ['Séparateur insécable : 12\u00a0400\u00a0€.', 12400],
    ['Espace fine : 12\u202f400,50\u202f€.', 12400.5],
    ['Grand montant : 1 250 000 € au total.', 1250000],
  ])('reads %j', async (description, amount) => {
    const result = await analyze(description)
    expect(result.amounts.map((a) => a.amount)).toEqual([amount])
  })

  it('keeps the order of appearance, drops duplicates and gives the context', async () => {
    const result = await analyze(
      "Le salarié réclame 28 500 € d'indemnités et 4 200 € de préavis. L'employeur propose 10 000 euros. Pour mémoire, 28 500 € au total au titre du licenciement.",
    )
    expect(result.amounts.map((a) => a.amount)).toEqual([28500, 4200, 10000])
    expect(result.amounts[0]?.context).toContain('28 500 € d’indemnités')
    expect(result.amounts[2]?.context).toBe('L’employeur propose 10 000 euros')
  })

  it('separates a year from the amount that follows it', async () => {
    const result = await analyze('Versement en 2026 15 000 € puis en 2027 150 € supplémentaires.')
    expect(result.amounts.map((a) => a.amount)).toEqual([15000, 150])
  })

  it('ignores numbers that are not euros', async () => {
    const result = await analyze(
      "Article 1240 du code civil, 12 000 habitants, 3 500 m², dossier n° 45 678, 250 dollars, 2 millions d'habitants.",
    )
    expect(result.amounts).toEqual([])
  })

  it('keeps at most 10 amounts', async () => {
    const description = Array.from({ length: 15 }, (_, i) => `Facture ${i + 1} : ${(i + 1) * 100} €.`).join(' ')
    const result = await analyze(description)
    expect(result.amounts.map((a) => a.amount)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
  })
})

describe('urgency', () => {
  it('is CRITIQUE for a hearing within 7 days, and says which and when', async () => {
    const result = await analyze("L'audience devant le juge aux affaires familiales est fixée au 12 mars 2027.")
    expect(result.urgency).toBe('CRITIQUE')
    expect(result.urgencyReason).toBe('Audience le 12/03/2027, dans 5 jours.')
  })

  it('counts "today" and the 7th day as within 7 days', async () => {
    const today = await analyze('Convocation au commissariat le 07/03/2027.')
    expect(today.urgency).toBe('CRITIQUE')
    expect(today.urgencyReason).toBe('Convocation le 07/03/2027, aujourd’hui même.')
    const tomorrow = await analyze('Date limite de dépôt des conclusions : 08/03/2027.')
    expect(tomorrow.urgencyReason).toBe('Date limite le 08/03/2027, demain.')
    const seventh = await analyze("L'échéance du délai d'appel tombe le 14/03/2027.")
    expect(seventh.urgency).toBe('CRITIQUE')
  })

  it('is HAUTE for a deadline between 8 and 30 days', async () => {
    const result = await analyze(
      'Les conclusions doivent être signifiées avant le 02/04/2027, date limite fixée par le juge.',
    )
    expect(result.urgency).toBe('HAUTE')
    expect(result.urgencyReason).toBe('Date limite le 02/04/2027, dans 26 jours.')
    const day8 = await analyze('Audience le 15/03/2027.')
    expect(day8.urgency).toBe('HAUTE')
    const day30 = await analyze('Audience le 06/04/2027.')
    expect(day30.urgency).toBe('HAUTE')
    const day31 = await analyze('Audience le 07/04/2027.')
    expect(day31.urgency).toBe('NORMALE')
    expect(day31.urgencyReason).toBe('Prochaine échéance (audience) le 07/04/2027, dans 31 jours.')
  })

  it('picks the nearest upcoming deadline, not a past one', async () => {
    const result = await analyze(
      "L'audience du 01/03/2027 a été renvoyée. Nouvelle audience le 20/03/2027. Délibéré le 10/03/2027.",
    )
    expect(result.urgency).toBe('CRITIQUE')
    expect(result.urgencyReason).toBe('Délibéré le 10/03/2027, dans 3 jours.')
  })

  it('is CRITIQUE when the text mentions a référé or an urgency, without dates', async () => {
    const refere = await analyze('Assignation en référé-provision pour obtenir une avance sur indemnisation.')
    expect(refere.urgency).toBe('CRITIQUE')
    expect(refere.urgencyReason).toBe('Le dossier mentionne une procédure de référé.')
    const urgent = await analyze('Dossier URGENT : le client risque une expulsion.')
    expect(urgent.urgency).toBe('CRITIQUE')
    expect(urgent.urgencyReason).toContain('urgent')
    const urgence = await analyze('Saisine du juge en urgence pour éviter la vente.')
    expect(urgence.urgency).toBe('CRITIQUE')
  })

  it('does not treat a negated urgency or the hospital ward as urgent', async () => {
    expect((await analyze('Procédure sans urgence particulière.')).urgency).toBe('NORMALE')
    expect((await analyze("Le dossier n'est pas urgent.")).urgency).toBe('NORMALE')
    expect((await analyze('Aucune urgence signalée.')).urgency).toBe('NORMALE')
    expect((await analyze('La victime a été transportée aux urgences après l’accident.')).urgency).toBe('NORMALE')
  })

  it('ignores a near date without a deadline word in its sentence', async () => {
    const result = await analyze("Rendez-vous client le 09/03/2027. L'audience est attendue dans plusieurs mois.")
    expect(result.urgency).toBe('NORMALE')
    expect(result.urgencyReason).toBe('Aucune échéance identifiée dans les 30 prochains jours.')
  })

  it('is BASSE for a closed or archived dossier, whatever the text says', async () => {
    const closed = await analyze('Audience le 10/03/2027. Référé urgent.', { status: 'CLOSED' })
    expect(closed.urgency).toBe('BASSE')
    expect(closed.urgencyReason).toContain('Dossier clôturé')
    expect(closed.urgencyReason).toContain('10/03/2027')
    const archived = await analyze('Jugement définitif du 12/01/2026.', { status: 'ARCHIVED' })
    expect(archived.urgency).toBe('BASSE')
    expect(archived.urgencyReason).toBe('Dossier archivé, aucune action n’est attendue.')
  })

  it('is NORMALE with no date at all', async () => {
    const result = await analyze('Consultation sur un litige de voisinage.')
    expect(result.urgency).toBe('NORMALE')
  })

  it("counts days from today's date in Paris, not in UTC", async () => {
    // 23:30 UTC on 6 March is already 7 March in Paris: 14 March is 7 days away, not 8.
    const lateEvening = new Date('2027-03-06T23:30:00Z')
    const result = await analyze('Audience le 14/03/2027.', {}, lateEvening)
    expect(result.urgency).toBe('CRITIQUE')
    expect(result.urgencyReason).toBe('Audience le 14/03/2027, dans 7 jours.')
  })
})

describe('sentences', () => {
  it('does not end a sentence at a civility, an initial or a legal abbreviation', async () => {
    const result = await analyze(
      "Le contrat est rompu. M. Leroy a été licencié le 12/01/2027 selon l'art. 1240 al. 2 du code. Mme. Fabre, témoin, sera entendue le 15/03/2027 avec Me Durand et J. Martin.",
      { title: 'Licenciement Leroy' },
      new Date('2027-01-02T10:00:00Z'),
    )
    const dismissal = result.keyDates.find((d) => d.date === '2027-01-12')
    const hearing = result.keyDates.find((d) => d.date === '2027-03-15')
    expect(dismissal?.context.startsWith('M. Leroy a été licencié le 12/01/2027')).toBe(true)
    expect(hearing?.context.startsWith('Mme. Fabre, témoin')).toBe(true)
    expect(hearing?.context).toContain('J. Martin')
    // A real sentence break still ends the context.
    expect(dismissal?.context).not.toContain('Le contrat est rompu')
  })
})

describe('summary', () => {
  it('names the dossier, client, domain, urgency, next deadline and amounts in French', async () => {
    const result = await analyze(
      "M. Thomas Petit conteste son licenciement pour faute grave. Nous réclamons 28 500 € de dommages et intérêts. L'audience de jugement est fixée au 20/04/2027. La procédure est urgente.",
      { title: 'Licenciement Petit', clientName: 'Thomas Petit', reference: 'DUP-2026-004' },
    )
    expect(result.urgency).toBe('CRITIQUE')
    expect(result.summary).toBe(
      'Dossier DUP-2026-004 « Licenciement Petit » pour Thomas Petit, relevant du droit du travail. ' +
        'Urgence critique : le dossier est signalé comme urgent (« urgente »). ' +
        'Prochaine échéance : audience le 20 avril 2027 (dans 44 jours). ' +
        'Montant en jeu : 28 500 €.',
    )
  })

  it('does not repeat the deadline already given as the urgency reason', async () => {
    const result = await analyze("L'audience est fixée au 12/03/2027.", {
      title: 'Divorce Bernard',
      clientName: 'Sophie Bernard',
    })
    expect(result.summary).toBe(
      'Dossier DUP-2027-001 « Divorce Bernard » pour Sophie Bernard, relevant du droit de la famille. Urgence critique : audience le 12/03/2027, dans 5 jours.',
    )
  })

  it('mentions the next plain date when no deadline is identified', async () => {
    const result = await analyze('Rendez-vous chez le notaire le 15 avril 2027 pour la succession.', {
      title: 'Succession',
    })
    expect(result.summary).toContain('Prochaine date citée : 15 avril 2027 (dans 39 jours).')
  })

  it('stays within 1-4 sentences and 700 characters with very long fields', async () => {
    const long = 'Société Particulièrement Longue '.repeat(200)
    const result = await analyze(`Divorce. Audience le 20/03/2027. ${'1 000 € '.repeat(50)}`, {
      title: long,
      clientName: long,
      reference: long,
    })
    expect(result.summary.length).toBeLessThanOrEqual(700)
    expect(result.summary).toContain('droit de la famille')
    expect(result.summary).toContain('Urgence haute')
  })

  it('works without a description', async () => {
    const result = await analyze(null, { title: 'Divorce Leroy', clientName: 'Émilie Leroy' })
    expect(result.domain).toBe('FAMILLE')
    expect(result.urgency).toBe('NORMALE')
    expect(result.keyDates).toEqual([])
    expect(result.amounts).toEqual([])
    expect(result.summary).toBe(
      'Dossier DUP-2027-001 « Divorce Leroy » pour Émilie Leroy, relevant du droit de la famille. Urgence normale : aucune échéance identifiée dans les 30 prochains jours.',
    )
  })

  it('copes with an empty client name and reference', async () => {
    const result = await analyze('', { title: '', clientName: '', reference: '' })
    expect(result.domain).toBe('AUTRE')
    expect(result.summary.startsWith('Dossier pour un client non renseigné')).toBe(true)
  })
})

describe('determinism and hostile input', () => {
  it('gives the same output for the same input and the same now', async () => {
    const description =
      'Bail commercial : loyer de 3 200 € au lieu de 2 450 €. Audience le 15/03/2027, puis délibéré le 2027-04-20. Réclamation de 12 000 euros.'
    const a = await createLocalAnalyzer().analyze(input(description), new Date(NOW))
    const b = await createLocalAnalyzer().analyze(input(description), new Date(NOW))
    expect(a).toEqual(b)
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
  })

  it('handles 1 MB of hostile text quickly, without throwing, within its limits', async () => {
    const chunks = [
      'Licenciement ',
      '1 000 000 000 000 000 000 000 ',
      '\u202e\u0000\u200b\ufeff',
      '€€€ EUR euros ',
      '\uD800 \uDC00 ',
      'e\u0301\u0301\u0301 ',
      '31/02/2027 99/99/9999 12/03/2027 ',
      '1 1 1 1 1 1 ',
      '🧑‍⚖️ ',
      'x'.repeat(200),
      ' audience délai échéance ',
    ]
    let text = ''
    for (let i = 0; text.length < 1_000_000; i++) text += chunks[i % chunks.length]
    expect(text.length).toBeGreaterThanOrEqual(1_000_000)

    const started = performance.now()
    const result = await analyzer.analyze(
      { reference: text, title: text, clientName: text, description: text, status: text, createdAt: new Date(NaN) },
      NOW,
    )
    expect(performance.now() - started).toBeLessThan(2_000)

    expect(result.domain).toBe('TRAVAIL')
    expect(result.keyDates.map((d) => d.date)).toEqual(['2027-03-12'])
    expect(result.summary.length).toBeLessThanOrEqual(700)
    expect(result.keyDates.length).toBeLessThanOrEqual(10)
    expect(result.amounts.length).toBeLessThanOrEqual(10)
    for (const item of [...result.keyDates, ...result.amounts]) expect(item.context.length).toBeLessThanOrEqual(120)
    const strings = [
      result.summary,
      result.urgencyReason,
      ...result.keyDates.map((d) => d.context),
      ...result.amounts.map((a) => a.context),
    ]
    for (const s of strings) {
      expect(LONE_SURROGATE.test(s)).toBe(false)
      expect(/[\u0000\u202e\u200b]/.test(s)).toBe(false)
    }
  })

  it.each([
    ['digits separated by spaces', '1 '.repeat(500_000)],
    ['thousand groups without a currency', '000 '.repeat(250_000)],
    ['one huge number', '9'.repeat(1_000_000)],
    ['euro signs', '€'.repeat(1_000_000)],
    ['one huge word', 'a'.repeat(1_000_000)],
    ['repeated stems', 'troubles anormaux de '.repeat(50_000)],
    ['date-like digits', '12/12/12/12/'.repeat(100_000)],
  ])('stays fast on %s', async (_, description) => {
    const started = performance.now()
    const result = await analyze(description)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(result.summary.length).toBeLessThanOrEqual(700)
  })

  it('does not throw on values of the wrong type', async () => {
    const odd = {
      reference: 42,
      title: undefined,
      clientName: null,
      description: { toString: () => 'Divorce' },
      status: null,
      createdAt: 'hier',
    }
    const result = await analyzer.analyze(odd as unknown as AnalysisInput, NOW)
    expect(result.domain).toBe('FAMILLE')
    expect(result.urgency).toBe('NORMALE')
    const throwing = {
      toString: () => {
        throw new Error('boom')
      },
    }
    await expect(
      analyzer.analyze({ ...input(null), description: throwing } as unknown as AnalysisInput, NOW),
    ).resolves.toMatchObject({ domain: 'AUTRE' })
  })

  it('falls back to the current time when now is invalid', async () => {
    const result = await analyze('Audience le 12/03/2027.', {}, new Date(NaN))
    expect(['CRITIQUE', 'HAUTE', 'NORMALE']).toContain(result.urgency)
  })
})
