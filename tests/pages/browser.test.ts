/**
 * The pages in a real browser: the production server (scripts/serve.ts), a real worker
 * (scripts/worker.ts) and Debian's Chromium driven by playwright-core (no browser download).
 * Logs in, creates a dossier, finds it in the list at once (with its urgency and next deadline, sorted),
 * launches its analysis and sees "Terminée", edits it (reference conflict, stale analysis, "Relancer",
 * closed), checks the status page per role, deletes a dossier after a confirmation, checks that the other
 * demo cabinet gets a 404, logs out and sees it confirmed; at 390 px, the header and navigation too. axe-core runs on every
 * page (no serious or critical violation), any console error fails the test, and every page is
 * saved at 1280 px and at 390 px under test-results/screenshots/.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { freePort } from '@/upstash-local'
import { seedDemo } from '../../prisma/seed'
import { ROOT, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { uniquePrefix } from '../../testing/stack'
import { startTestSmtp, type TestSmtp } from '../support/smtp'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const SHOTS = path.join(ROOT, 'test-results', 'screenshots')
const WAIT = { timeout: Number(process.env.PAGES_WAIT_MS ?? 30_000) }

const db = tempDatabase('pages')
const prisma = createPrismaClient(db.url)
const env = {
  ...inject('stack'),
  DATABASE_URL: db.url,
  REDIS_KEY_PREFIX: uniquePrefix('pages'),
  UPSTASH_DISABLE_TELEMETRY: 'true',
  RATE_LIMIT_MAX: '100000',
  LOGIN_MAX_PER_ADDRESS: '100000',
  LOGIN_MAX_PER_EMAIL: '10000',
  // The usage counter flushes every second here, so /status shows a saved count.
  UPSTASH_USAGE_FLUSH_SECONDS: '1',
  // The platform's operator: the only one shown the platform-wide figures on /status.
  PLATFORM_ADMIN_EMAILS: 'demo@cabinet-martin.fr',
}

let app: RunningApp
/** Invitations and password resets go out through a real SMTP server; the links are read from the messages. */
let smtp: TestSmtp
let worker: ChildProcess
let workerLog = ''
let browser: Browser
const contexts: BrowserContext[] = []

/** Console errors and uncaught exceptions of a page; `expected` drops the ones a step provokes on purpose. */
function watch(page: Page) {
  const errors: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${msg.text()} (${msg.location().url})`)
  })
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`))
  return {
    errors,
    take(expected?: RegExp): string[] {
      const unexpected = errors.filter((e) => !expected?.test(e))
      errors.length = 0
      return unexpected
    },
  }
}

async function newPage(viewport: {
  width: number
  height: number
}): Promise<{ page: Page; console: ReturnType<typeof watch> }> {
  const context = await browser.newContext({ viewport, locale: 'fr-FR', timezoneId: 'Europe/Paris', baseURL: app.url })
  context.setDefaultTimeout(WAIT.timeout)
  context.setDefaultNavigationTimeout(WAIT.timeout)
  contexts.push(context)
  const page = await context.newPage()
  return { page, console: watch(page) }
}

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: unknown[]; failureSummary?: string }[]
}

/** axe-core on the page as it is now: serious and critical violations, described. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') })
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }
    ).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  })
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} → ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join(' | ')}`,
    )
}

/** Every page the test sees: one <main>, one <h1>, no serious axe violation, no console error; saved as a screenshot. */
async function check(
  page: Page,
  console: ReturnType<typeof watch>,
  name: string,
  expectedConsole?: RegExp,
): Promise<void> {
  await page.waitForLoadState('load')
  expect(await page.locator('main').count(), `${name}: one <main>`).toBe(1)
  expect(await page.locator('h1').count(), `${name}: one <h1>`).toBe(1)
  expect(await axeViolations(page), `${name}: axe-core`).toEqual([])
  const width = page.viewportSize()!.width
  await page.screenshot({ path: path.join(SHOTS, `${width}-${name}.png`), fullPage: true })
  expect(console.take(expectedConsole), `${name}: console errors`).toEqual([])
}

async function login(page: Page, email: string, password = 'demo-password'): Promise<void> {
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Mot de passe').fill(password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
}

/** The token of the link in the `nth` message to `to` (sent right after the response that queued it). */
async function mailedToken(to: string, path: string, nth = 1): Promise<string> {
  const mails = await smtp.waitFor(nth, (m) => m.to.includes(to))
  const m = new RegExp(`${path}\\?token=([A-Za-z0-9_-]{43})`).exec(mails[nth - 1]!.text)
  expect(m, mails[nth - 1]!.text).not.toBeNull()
  return m![1]!
}

const DAY = 86_400_000

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: sudo apt-get install -y chromium (.ci/run does it)`)
  rmSync(SHOTS, { recursive: true, force: true })
  mkdirSync(SHOTS, { recursive: true })
  await seedDemo(db.url, () => {})
  smtp = await startTestSmtp()
  // The links in e-mails name the server itself (production refuses any other Host).
  const port = await freePort()
  Object.assign(env, {
    SMTP_URL: smtp.url,
    MAIL_FROM: 'IA Poste Manager <no-reply@example.fr>',
    APP_ORIGIN: `http://127.0.0.1:${port}`,
  })
  ;[app, browser] = await Promise.all([
    startApp(env, { port }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 60_000,
    }),
  ])
  worker = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/worker.ts', '--min-idle-ms', '20', '--max-idle-ms', '250'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  worker.stdout!.on('data', (d) => (workerLog += String(d)))
  worker.stderr!.on('data', (d) => (workerLog += String(d)))
}, 120_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker.once('exit', r))
    worker.kill('SIGTERM')
    await exited
  }
  await app?.stop()
  await smtp?.stop()
  await prisma.$disconnect()
  db.remove()
}, 60_000)

const TITLE = 'Licenciement de M. Navarro : audience prud’homale'
const CLIENT = 'Julien Navarro'
const DESCRIPTION =
  'Licenciement pour faute grave contesté par le salarié. Audience devant le conseil de prud’hommes le 15 mars 2027. Indemnités réclamées : 25 000 € au titre du licenciement sans cause réelle et sérieuse.'
let dossierPath = ''

describe('the pages in Chromium (1280 px)', { timeout: 180_000 }, () => {
  let page: Page
  let console: ReturnType<typeof watch>

  beforeAll(async () => {
    ;({ page, console } = await newPage({ width: 1280, height: 900 }))
  })

  it('sends an anonymous visitor to /login, refuses a wrong pair without saying which part, then brings them back', async () => {
    // A real redirect, before anything streams (also for pages with a loading state).
    for (const path of ['/status', '/leaderboard', '/dossiers/new', '/dossiers/anything']) {
      const res = await fetch(`${app.url}${path}`, { redirect: 'manual' })
      expect(res.status, path).toBe(307)
      expect(res.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`)
    }
    await page.goto('/leaderboard')
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/leaderboard')
    // Required fields: the attribute and a visible mark explained above the form.
    expect(await page.getByLabel('E-mail').getAttribute('required')).not.toBeNull()
    expect(await page.getByLabel('Mot de passe').getAttribute('required')).not.toBeNull()
    await page.getByText('Les champs marqués d’un astérisque').waitFor()
    await check(page, console, '01-login')

    await login(page, 'demo@cabinet-dupont.fr', 'not-the-password')
    // Within <main>: Next's route announcer is an (empty) alert too.
    const alert = page.getByRole('main').getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toBe('E-mail ou mot de passe incorrect.')
    // An unknown e-mail: the very same message (on a fresh page, so the alert seen is this answer's).
    await page.goto('/login?next=%2Fleaderboard')
    await login(page, 'nobody@cabinet-dupont.fr', 'not-the-password')
    await page.getByRole('main').getByRole('alert').filter({ hasText: 'E-mail ou mot de passe incorrect.' }).waitFor()
    expect(await page.getByLabel('E-mail').inputValue()).toBe('nobody@cabinet-dupont.fr')
    await check(page, console, '02-login-refused')

    await login(page, 'demo@cabinet-dupont.fr')
    await page.waitForURL((u) => u.pathname === '/leaderboard')
    await page.getByRole('heading', { level: 1, name: 'Classement' }).waitFor()
    // No points yet: the cabinet is still shown, with its rank.
    const mine = page.locator('tr[aria-current="true"]')
    await mine.getByText('Cabinet Dupont').waitFor()
    expect(await mine.count()).toBe(1)
    await page.getByText('Votre cabinet n’a pas encore de points').waitFor()
    await check(page, console, '03-leaderboard')
  })

  it('lists the cabinet’s dossiers with its name, plan and active count in the header', async () => {
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Dossiers' })
      .click()
    await page.waitForURL((u) => u.pathname === '/dossiers')
    const header = page.getByTestId('cabinet')
    await header.getByText('Cabinet Dupont').waitFor()
    expect(await header.textContent()).toMatch(/Offre Premium · \d+ dossiers? actifs?/)
    await page.getByRole('table').getByRole('link').first().waitFor()
    expect(await page.getByRole('table').getByRole('link').count()).toBeGreaterThan(5)
    for (const column of ['Urgence', 'Prochaine échéance', 'Modifié'])
      await page.getByRole('columnheader', { name: column }).waitFor()
    // Relative dates, the full date on hover.
    expect(await page.getByRole('table').locator('time[title]').first().textContent()).toMatch(
      /il y a|hier|à l’instant/,
    )
    await check(page, console, '04-dossiers')

    // A confirmed deadline shows as the dossier's next one, and sorting by it puts that dossier first.
    const dossier = await prisma.dossier.findFirstOrThrow({ where: { reference: 'DUP-2026-010' } })
    await prisma.deadline.create({
      data: {
        tenantId: 'cabinet-dupont',
        dossierId: dossier.id,
        title: 'Audience de plaidoirie',
        dueAt: new Date(Date.now() + 3 * 86_400_000),
      },
    })
    await page.getByLabel('Trier par').selectOption({ label: 'Prochaine échéance' })
    await page.getByRole('button', { name: 'Afficher' }).click()
    await page.waitForURL((u) => u.searchParams.get('tri') === 'echeance')
    const firstRow = page.getByRole('table').getByRole('row').nth(1)
    await firstRow.getByText('DUP-2026-010').waitFor()
    expect(await firstRow.textContent()).toMatch(/dans 3 jours/)
    expect(await page.getByRole('columnheader', { name: 'Prochaine échéance' }).getAttribute('aria-sort')).toBe(
      'ascending',
    )
    await check(page, console, '04-dossiers-by-deadline')
  })

  it('keeps an invalid form with its values, marks the field and announces the message, writing nothing', async () => {
    const before = await prisma.dossier.count({ where: { tenantId: 'cabinet-dupont' } })
    await page.getByRole('main').getByRole('link', { name: 'Nouveau dossier' }).click()
    await page.waitForURL((u) => u.pathname === '/dossiers/new')
    // `required` stops an empty field in the browser; blanks pass it and are refused by the server.
    expect(await page.getByLabel('Titre').getAttribute('required')).not.toBeNull()
    await page.getByLabel('Titre').fill('   ')
    await page.getByLabel('Client').fill(CLIENT)
    await page.getByLabel('Description').fill(DESCRIPTION)
    await page.getByRole('button', { name: 'Créer le dossier' }).click()
    await page.locator('#new-title[aria-invalid="true"]').waitFor()
    expect(await page.getByRole('main').getByRole('alert').allTextContents()).toEqual(['Le titre est obligatoire.'])
    expect(await page.getByLabel('Client').inputValue()).toBe(CLIENT)
    expect(await page.getByLabel('Description').inputValue()).toBe(DESCRIPTION)
    expect(await page.getByLabel('Client').getAttribute('aria-invalid')).toBeNull()
    expect(await prisma.dossier.count({ where: { tenantId: 'cabinet-dupont' } })).toBe(before)
    await check(page, console, '05-new-dossier-invalid')
  })

  it('creates a dossier that the list shows at once, and finds it by search and status', async () => {
    await page.getByLabel('Titre').fill(TITLE)
    await page.getByLabel('Statut').selectOption({ label: 'Ouvert' })
    await page.getByRole('button', { name: 'Créer le dossier' }).click()
    await page.waitForURL((u) => /^\/dossiers\/[A-Za-z0-9_-]+$/.test(u.pathname) && u.pathname !== '/dossiers/new')
    dossierPath = new URL(page.url()).pathname
    await page.getByRole('heading', { level: 1, name: TITLE }).waitFor()
    await page.getByRole('status').filter({ hasText: 'Dossier créé.' }).waitFor()
    await check(page, console, '06-dossier-created')

    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Dossiers' })
      .click()
    await page.waitForURL((u) => u.pathname === '/dossiers')
    await page.getByRole('link', { name: TITLE }).waitFor()

    await page.getByLabel('Rechercher').fill('navarro')
    await page.getByLabel('Statut').selectOption({ label: 'Ouvert' })
    await page.getByRole('button', { name: 'Afficher' }).click()
    await page.waitForURL((u) => u.searchParams.get('q') === 'navarro' && u.searchParams.get('status') === 'OPEN')
    await page.getByText('1 dossier correspondant à la recherche').waitFor()
    expect(await page.getByRole('table').getByRole('link').allTextContents()).toEqual([TITLE])
    await check(page, console, '07-dossiers-search')
    await page.getByRole('link', { name: TITLE }).click()
    await page.waitForURL((u) => u.pathname === dossierPath)
  })

  it('launches the analysis and shows "Terminée" and the result by itself', async () => {
    const status = page.getByTestId('analysis-status')
    await status.getByText('Aucune analyse').waitFor()
    await page.getByRole('button', { name: 'Lancer l’analyse' }).click()
    // The page refreshes itself while the analysis is pending (no reload here).
    try {
      await status.getByText('Terminée').waitFor({ timeout: 60_000 })
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker log:\n${workerLog}\nserver:\n${app.output()}`)
    }
    await page.getByText('Droit du travail', { exact: true }).waitFor()
    await page.getByText('15 mars 2027').first().waitFor()
    expect(await page.getByText('25 000 €').count()).toBeGreaterThan(0)
    // After a finished analysis, the button offers to run it again; no analyser name shown to the lawyer.
    await page.getByRole('button', { name: 'Relancer l’analyse' }).waitFor()
    expect(await page.getByText('local-rules').count()).toBe(0)
    await check(page, console, '08-dossier-analysed')
  })

  it('edits the dossier: invalid input is refused in place, valid input is saved', async () => {
    await page.getByLabel('Titre').fill('   ')
    await page.getByRole('button', { name: 'Enregistrer' }).click()
    await page.locator('#edit-title[aria-invalid="true"]').waitFor()
    expect(await page.getByRole('main').getByRole('alert').allTextContents()).toEqual(['Le titre est obligatoire.'])
    expect(await prisma.dossier.count({ where: { title: TITLE } })).toBe(1)

    // A reference another dossier of the cabinet uses: refused in French, on the field.
    await page.getByLabel('Titre').fill(`${TITLE} (appel)`)
    await page.getByLabel('Référence').fill('DUP-2026-001')
    await page.getByRole('button', { name: 'Enregistrer' }).click()
    await page.locator('#edit-reference[aria-invalid="true"]').waitFor()
    expect(await page.getByRole('main').getByRole('alert').allTextContents()).toEqual([
      'Référence déjà utilisée : un autre dossier du cabinet la porte. Choisissez-en une autre.',
    ])
    await check(page, console, '09-reference-taken')

    await page.getByLabel('Référence').fill('DUP-2026-NAV')
    await page.getByLabel('Statut').selectOption({ label: 'En cours' })
    await page.getByRole('button', { name: 'Enregistrer' }).click()
    await page.getByRole('status').filter({ hasText: 'Modifications enregistrées.' }).waitFor()
    await page.getByRole('heading', { level: 1, name: `${TITLE} (appel)` }).waitFor()
    expect(
      await prisma.dossier.findFirst({
        where: { title: `${TITLE} (appel)` },
        select: { status: true, reference: true },
      }),
    ).toEqual({ status: 'IN_PROGRESS', reference: 'DUP-2026-NAV' })
    // The title changed after the analysis: it says so and offers to run it again.
    await page.getByTestId('analysis-stale').getByText('Analyse antérieure aux dernières modifications').waitFor()
    await check(page, console, '09-dossier-edited-stale')

    await page.getByRole('button', { name: 'Relancer l’analyse' }).click()
    await page.getByTestId('analysis-stale').waitFor({ state: 'detached', timeout: 60_000 })
    await page.getByTestId('analysis-status').getByText('Terminée').waitFor({ timeout: 60_000 })

    // A closed dossier: the button is disabled and says why (the server refuses too: tests/app/analysis.test.ts).
    await page.getByLabel('Statut').selectOption({ label: 'Clôturé' })
    await page.getByRole('button', { name: 'Enregistrer' }).click()
    await page.getByText('Dossier clôturé : rouvrez-le').waitFor()
    expect(await page.getByRole('button', { name: 'Relancer l’analyse' }).isDisabled()).toBe(true)
    await check(page, console, '09-dossier-closed')
  })

  it('shows the cabinet first in its leaderboard row and its most active dossiers', async () => {
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Classement' })
      .click()
    await page.waitForURL((u) => u.pathname === '/leaderboard')
    const mine = page.locator('tr[aria-current="true"]')
    await mine.getByText('Cabinet Dupont').waitFor()
    await mine.getByText('Votre cabinet').waitFor()
    await page.getByRole('link', { name: `${TITLE} (appel)` }).waitFor()
    await check(page, console, '10-leaderboard')
  })

  it("shows the health of Redis and the database and the cabinet's own analyses, none of the platform's figures", async () => {
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'État du service' })
      .click()
    await page.waitForURL((u) => u.pathname === '/status')
    await page.getByTestId('service-health').getByText('Tout fonctionne normalement').waitFor()
    await page.getByRole('heading', { name: 'Analyses de votre cabinet' }).waitFor()
    // The analyses launched above (today), and nothing of another cabinet.
    const done = page.locator('dt', { hasText: 'Terminées aujourd’hui' }).locator('xpath=following-sibling::dd')
    expect(Number((await done.textContent())!.replace(/\D/g, ''))).toBe(
      await prisma.analysis.count({ where: { tenantId: 'cabinet-dupont', status: 'DONE' } }),
    )
    await page
      .getByTestId('last-analysis')
      .getByText(/Dernière analyse terminée (à l’instant|il y a)/)
      .waitFor()
    // The cabinet's ADMIN: response times, drawn and explained; none of the platform's figures.
    await page.getByRole('heading', { name: 'Détails techniques' }).waitFor()
    expect(await page.getByRole('img', { name: /^Temps de réponse : .*Base de données \d/ }).count()).toBe(1)
    for (const text of ['Abandonnées', 'Commandes Upstash facturées ce mois-ci', 'Plateforme'])
      expect(await page.getByText(text).count(), text).toBe(0)
    expect(await page.getByTestId('usage-month').count()).toBe(0)
    await check(page, console, '11-status')

    // An assistant: is it working, and the cabinet's analyses; no technical details.
    const assistant = await newPage({ width: 1280, height: 900 })
    await assistant.page.goto('/login?next=%2Fstatus')
    await login(assistant.page, 'assistant@cabinet-dupont.fr')
    await assistant.page.getByRole('heading', { name: 'Analyses de votre cabinet' }).waitFor()
    expect(await assistant.page.getByRole('heading', { name: 'Détails techniques' }).count()).toBe(0)
    expect(await assistant.page.getByText(/Redis|Upstash|ms\b/).count()).toBe(0)
    await check(assistant.page, assistant.console, '11-status-assistant')
    // Nor a way to delete a dossier (the API refuses it too: tests/app/dossiers.test.ts).
    await assistant.page.goto(dossierPath)
    await assistant.page.getByRole('heading', { level: 1 }).waitFor()
    expect(await assistant.page.getByRole('link', { name: /Supprimer le dossier/ }).count()).toBe(0)
    await assistant.page.goto(`${dossierPath}/supprimer`)
    await assistant.page.getByText('Seuls les avocats et les administrateurs du cabinet').waitFor()
    expect(await assistant.page.getByRole('button', { name: 'Supprimer définitivement' }).count()).toBe(0)
  })

  it("shows the platform's operator the shared queue, the cache and the Upstash commands billed this month against the plan", async () => {
    const ops = await newPage({ width: 1280, height: 900 })
    await ops.page.goto('/login?next=%2Fstatus')
    await login(ops.page, 'demo@cabinet-martin.fr')
    await ops.page.waitForURL((u) => u.pathname === '/status')
    await ops.page.getByRole('heading', { name: 'Plateforme' }).waitFor()
    await ops.page.locator('dt', { hasText: 'Abandonnées' }).waitFor()
    await ops.page.getByText('Lectures servies par la mémoire partagée').waitFor()
    // Drawn: the commands per day and the queue, each an image with its figures and a hidden table.
    await ops.page.getByRole('img', { name: /^Commandes facturées par jour, \d+ derniers jours : / }).waitFor()
    await ops.page.getByRole('img', { name: /^Analyses dans la file : En attente \d+/ }).waitFor()
    expect(await ops.page.locator('table.sr-only caption', { hasText: 'Commandes facturées par jour' }).count()).toBe(1)
    const figure = async (id: string) => Number((await ops.page.getByTestId(id).textContent())!.replace(/\D/g, ''))
    const month = await figure('usage-month')
    const today = await figure('usage-today')
    expect(today).toBeGreaterThan(0)
    expect(month).toBeGreaterThanOrEqual(today)
    await ops.page.getByText(/sur les 500\s000 par mois de votre offre/).waitFor()
    await ops.page.getByText(/Projection pour le mois au rythme actuel/).waitFor()
    await ops.page.getByText(/un script compte pour une commande plus chacune de celles qu’il exécute/).waitFor()
    expect(
      await ops.page.getByRole('meter', { name: 'Part de l’offre mensuelle utilisée' }).getAttribute('aria-valuemax'),
    ).toBe('500000')
    await check(ops.page, ops.console, '11-status-platform')
  })

  it('gives the other demo cabinet a real 404 for this dossier', async () => {
    const martin = await newPage({ width: 1280, height: 900 })
    await martin.page.goto(`/login?next=${encodeURIComponent(dossierPath)}`)
    await login(martin.page, 'demo@cabinet-martin.fr')
    await martin.page.getByRole('heading', { level: 1, name: 'Page introuvable' }).waitFor()
    expect(new URL(martin.page.url()).pathname).toBe(dossierPath)
    const response = await martin.page.goto(dossierPath)
    expect(response?.status()).toBe(404)
    expect(await martin.page.getByText(TITLE).count()).toBe(0)
    await martin.page.getByTestId('cabinet').getByText('Cabinet Martin').waitFor()
    // Chromium logs the 404 of the document itself; that one is the point of this step.
    await check(martin.page, martin.console, '12-not-found-other-cabinet', /status of 404/)
  })

  it('pages a long list with "Suivant" and "Précédent", keeping the status filter', async () => {
    const martin = await newPage({ width: 1280, height: 900 })
    await martin.page.goto('/login?next=/dossiers')
    await login(martin.page, 'demo@cabinet-martin.fr')
    // Logged in (the session cookie set) before the page's own fetch below needs it.
    await martin.page.waitForURL((u) => u.pathname === '/dossiers')
    const start = Date.now() - 3_600_000
    for (let i = 0; i < 60; i++) {
      await prisma.dossier.create({
        data: {
          tenantId: 'cabinet-martin',
          reference: `MAR-LOT-${i}`,
          title: `Succession Lambert, lot ${i}`,
          clientName: 'Famille Lambert',
          createdAt: new Date(start + i * 1000),
        },
      })
    }
    // One write through the app: the cabinet's cached pages are invalidated (the rows above skipped it).
    const created = await martin.page.evaluate(() =>
      fetch('/api/dossiers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Succession Lambert, inventaire', clientName: 'Famille Lambert' }),
      }).then((r) => r.status),
    )
    expect(created).toBe(201)
    await martin.page.goto('/dossiers?status=OPEN')
    const pages = martin.page.getByRole('navigation', { name: 'Pages de dossiers' })
    expect(await pages.getByRole('link', { name: 'Précédent' }).count()).toBe(0)
    await pages.getByRole('link', { name: 'Suivant' }).click()
    await martin.page.waitForURL((u) => u.searchParams.has('cursor') && u.searchParams.get('status') === 'OPEN')
    await martin.page.getByRole('link', { name: 'Succession Lambert, lot 0', exact: true }).first().waitFor()
    await check(martin.page, martin.console, '13-dossiers-page-2')
    await pages.getByRole('link', { name: 'Précédent' }).click()
    await martin.page.waitForURL((u) => u.searchParams.has('before') && u.searchParams.get('status') === 'OPEN')
    await martin.page.getByRole('link', { name: 'Succession Lambert, inventaire' }).first().waitFor()
  })

  it('never follows a `next` that leaves the site', async () => {
    const other = await newPage({ width: 1280, height: 900 })
    await other.page.goto('/login?next=%2F%2Fevil.example%2Fx')
    await login(other.page, 'avocat@cabinet-dupont.fr')
    await other.page.waitForURL((u) => u.pathname === '/dossiers')
    expect(new URL(other.page.url()).host).toBe(new URL(app.url).host)
    expect(other.console.take()).toEqual([])
  })

  it('deletes a dossier after a confirmation page, then says so on the list', async () => {
    const victim = await prisma.dossier.findFirstOrThrow({ where: { reference: 'DUP-2026-012' } })
    await page.goto(`/dossiers/${victim.id}`)
    await page.getByRole('link', { name: 'Supprimer le dossier…' }).click()
    await page.waitForURL((u) => u.pathname === `/dossiers/${victim.id}/supprimer`)
    await page.getByRole('heading', { level: 1, name: 'Supprimer le dossier ?' }).waitFor()
    await check(page, console, '14-delete-confirm')
    // "Annuler" goes back and deletes nothing.
    await page.getByRole('link', { name: 'Annuler' }).click()
    await page.waitForURL((u) => u.pathname === `/dossiers/${victim.id}`)
    expect(await prisma.dossier.count({ where: { id: victim.id } })).toBe(1)
    await page.getByRole('link', { name: 'Supprimer le dossier…' }).click()
    await page.getByRole('button', { name: 'Supprimer définitivement' }).click()
    await page.waitForURL((u) => u.pathname === '/dossiers' && u.searchParams.get('supprime') === 'DUP-2026-012')
    await page.getByRole('status').filter({ hasText: 'Dossier DUP-2026-012 supprimé.' }).waitFor()
    expect(await prisma.dossier.count({ where: { id: victim.id } })).toBe(0)
    expect(await page.getByRole('table').getByText('DUP-2026-012').count()).toBe(0)
    await check(page, console, '14-dossier-deleted')
  })

  it("shows the account, and the cabinet's team to its ADMIN: a role change is saved and ends that user's sessions", async () => {
    await page.getByRole('link', { name: /Claire Dupont/ }).click()
    await page.waitForURL((u) => u.pathname === '/compte')
    await page.getByRole('heading', { level: 1, name: 'Mon compte' }).waitFor()
    await page.getByRole('button', { name: 'Se déconnecter de tous les appareils' }).waitFor()
    const team = page.getByRole('region', { name: 'Équipe du cabinet' })
    const role = team.getByLabel('Rôle de Léa Fournier')
    expect(await role.inputValue()).toBe('ASSISTANT')
    await role.selectOption('AVOCAT')
    await team
      .getByRole('listitem')
      .filter({ hasText: 'Léa Fournier' })
      .getByRole('button', { name: 'Enregistrer' })
      .click()
    await team.getByText('Enregistré. Ses sessions en cours ont été fermées.').waitFor()
    expect(
      await prisma.user.findUniqueOrThrow({ where: { email: 'assistant@cabinet-dupont.fr' }, select: { role: true } }),
    ).toEqual({ role: 'AVOCAT' })
    await check(page, console, '13-account')
    await prisma.user.update({ where: { email: 'assistant@cabinet-dupont.fr' }, data: { role: 'ASSISTANT' } })
  })

  it('logs out: back to /login, and the pages send the old session to /login', async () => {
    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click()
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('deconnecte') === '1')
    await page.getByRole('status').filter({ hasText: 'Vous êtes déconnecté(e).' }).waitFor()
    await check(page, console, '16-logged-out')
    await page.goto(dossierPath)
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === dossierPath)
    expect(console.take()).toEqual([])
  })
})

describe('deadlines and accounts in Chromium (1280 px)', { timeout: 180_000 }, () => {
  let page: Page
  let console: ReturnType<typeof watch>
  const PROPOSAL = 'Date limite de communication des pièces'
  const NEW_MEMBER = 'ines.garnier@cabinet-dupont.fr'

  beforeAll(async () => {
    ;({ page, console } = await newPage({ width: 1280, height: 900 }))
    await page.goto('/login?next=%2Fdossiers')
    await login(page, 'assistant@cabinet-dupont.fr')
    await page.waitForURL((u) => u.pathname === '/dossiers')
  })

  it("manages a dossier's deadlines as an assistant: refuses an invalid one, adds, confirms a proposal, marks done, deletes after confirming", async () => {
    const dossierId = dossierPath.split('/').pop()!
    // What the analysis proposes (the analysis itself is tested elsewhere): a proposal waiting for a lawyer.
    await prisma.deadline.create({
      data: {
        tenantId: 'cabinet-dupont',
        dossierId,
        title: PROPOSAL,
        dueAt: new Date('2027-03-01T08:00:00Z'),
        kind: 'delai_procedure',
        source: 'analysis',
        status: 'proposed',
        sourceKey: 'browser-test:communication',
      },
    })
    await page.goto(dossierPath)
    const section = page.getByRole('region', { name: 'Échéances' })
    const proposals = section.getByRole('list', { name: 'Échéances proposées' })
    await proposals.getByText(PROPOSAL, { exact: true }).waitFor()
    // The dossier's own analysis (run earlier in this file) may have proposed its dates too: this one's row.
    await proposals.getByRole('listitem').filter({ hasText: PROPOSAL }).getByText('proposée', { exact: true }).waitFor()

    await section.getByRole('button', { name: 'Ajouter l’échéance' }).click()
    await section.locator('#new-deadline-title[aria-invalid="true"]').waitFor()
    expect(await section.getByRole('alert').allTextContents()).toEqual([
      'Le titre est obligatoire.',
      'La date et l’heure sont obligatoires.',
    ])
    await check(page, console, '14-deadlines-invalid')

    // By id: each deadline's (closed) « Modifier » panel has the same labels.
    await section.locator('#new-deadline-title').fill('Audience de plaidoirie')
    await section.locator('#new-deadline-kind').selectOption({ label: 'Audience' })
    await section.locator('#new-deadline-dueAt').fill('2027-03-15T14:30')
    await section.getByRole('button', { name: 'Ajouter l’échéance' }).click()
    await section.getByRole('status').filter({ hasText: 'Échéance « Audience de plaidoirie » ajoutée.' }).waitFor()
    const mine = section.getByRole('list', { name: 'Échéances du dossier' }).getByRole('listitem')
    await mine.filter({ hasText: 'Audience de plaidoirie' }).getByText('lundi 15 mars 2027 à 14:30').waitFor()
    expect(
      await prisma.deadline.findFirstOrThrow({
        where: { dossierId, title: 'Audience de plaidoirie' },
        select: { dueAt: true, kind: true, status: true },
      }),
    ).toEqual({ dueAt: new Date('2027-03-15T13:30:00Z'), kind: 'audience', status: 'confirmed' })
    // The form is empty again, ready for the next one.
    expect(await section.locator('#new-deadline-title').inputValue()).toBe('')

    await proposals.getByRole('button', { name: `Confirmer « ${PROPOSAL} »` }).click()
    await mine.filter({ hasText: PROPOSAL }).waitFor()
    await proposals.getByText(PROPOSAL, { exact: true }).waitFor({ state: 'detached' })

    await mine.getByRole('button', { name: 'Marquer comme faite « Audience de plaidoirie »' }).click()
    await mine.getByRole('button', { name: 'Rouvrir « Audience de plaidoirie »' }).waitFor()
    expect(
      await prisma.deadline.findFirstOrThrow({
        where: { dossierId, title: 'Audience de plaidoirie' },
        select: { done: true },
      }),
    ).toEqual({ done: true })

    const row = mine.filter({ hasText: PROPOSAL })
    await row.getByText(`Modifier « ${PROPOSAL} »`).click()
    await row.getByRole('textbox', { name: 'Intitulé' }).fill(`${PROPOSAL} (adverse)`)
    await row.getByRole('button', { name: 'Enregistrer', exact: true }).click()
    await row.getByRole('status').filter({ hasText: 'Échéance enregistrée.' }).waitFor()
    await mine
      .filter({ hasText: `${PROPOSAL} (adverse)` })
      .first()
      .waitFor()
    await check(page, console, '15-deadlines')

    const edited = mine.filter({ hasText: `${PROPOSAL} (adverse)` })
    await edited.getByText(`Supprimer « ${PROPOSAL} (adverse) »`).click()
    await edited.getByRole('button', { name: `Supprimer définitivement « ${PROPOSAL} (adverse) »` }).click()
    await mine.filter({ hasText: PROPOSAL }).waitFor({ state: 'detached' })
    expect(await prisma.deadline.count({ where: { dossierId, title: { startsWith: PROPOSAL } } })).toBe(0)
  })

  it("shows the cabinet's agenda: overdue, this week, later, done ones collapsed, each linking to its dossier", async () => {
    const other = await prisma.dossier.findFirstOrThrow({
      where: { tenantId: 'cabinet-dupont', reference: { startsWith: 'DUP' } },
    })
    const now = Date.now()
    await prisma.deadline.createMany({
      data: [
        {
          tenantId: 'cabinet-dupont',
          dossierId: other.id,
          title: 'Déposer les conclusions d’appel',
          dueAt: new Date(now - 2 * DAY),
          kind: 'delai_procedure',
        },
        {
          tenantId: 'cabinet-dupont',
          dossierId: other.id,
          title: 'Rendez-vous avec le client',
          dueAt: new Date(now + 2 * DAY),
          kind: 'rendez_vous',
        },
        {
          tenantId: 'cabinet-dupont',
          dossierId: other.id,
          title: 'Prescription de l’action en garantie',
          dueAt: new Date(now + 60 * DAY),
          kind: 'prescription',
        },
      ],
    })
    // Another cabinet's deadline never shows.
    const martinDossier = await prisma.dossier.findFirstOrThrow({ where: { tenantId: 'cabinet-martin' } })
    await prisma.deadline.create({
      data: {
        tenantId: 'cabinet-martin',
        dossierId: martinDossier.id,
        title: 'Audience du cabinet Martin',
        dueAt: new Date(now + DAY),
      },
    })
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Échéances' })
      .click()
    await page.waitForURL((u) => u.pathname === '/echeances')
    await page.getByRole('heading', { level: 1, name: 'Échéances' }).waitFor()
    const overdue = page.getByRole('region', { name: /En retard/ })
    const week = page.getByRole('region', { name: /Cette semaine/ })
    const later = page.getByRole('region', { name: /Plus tard/ })
    await overdue.getByRole('link', { name: 'Déposer les conclusions d’appel' }).waitFor()
    await week.getByRole('link', { name: 'Rendez-vous avec le client' }).waitFor()
    await later.getByRole('link', { name: 'Prescription de l’action en garantie' }).waitFor()
    expect(await later.getByRole('link', { name: 'Audience de plaidoirie' }).count()).toBe(0)
    expect(await page.getByText('Audience du cabinet Martin').count()).toBe(0)
    // Done: in the collapsed section only.
    const done = page.locator('details').filter({ hasText: 'Échéances faites' })
    expect(await done.getAttribute('open')).toBeNull()
    await done.locator('summary').click()
    await done.getByRole('link', { name: 'Audience de plaidoirie' }).waitFor()
    await check(page, console, '16-echeances')

    await week.getByRole('button', { name: 'Marquer comme faite « Rendez-vous avec le client »' }).click()
    // Gone from the week (which may hold other deadlines: those the analyses of earlier steps proposed and kept).
    await week.getByRole('link', { name: 'Rendez-vous avec le client' }).waitFor({ state: 'detached' })
    await overdue.getByRole('link', { name: 'Déposer les conclusions d’appel' }).click()
    await page.waitForURL((u) => u.pathname === `/dossiers/${other.id}` && u.hash === '#echeances')
    await page
      .getByRole('region', { name: 'Échéances' })
      .getByText('Déposer les conclusions d’appel', { exact: true })
      .waitFor()
    expect(console.take()).toEqual([])
  })

  it('lets the ADMIN invite a colleague, who sets a name and password and lands logged in, in the cabinet', async () => {
    const admin = await newPage({ width: 1280, height: 900 })
    await admin.page.goto('/login?next=%2Fcompte')
    await login(admin.page, 'demo@cabinet-dupont.fr')
    const invite = admin.page.getByRole('region', { name: 'Inviter un collaborateur' })
    await invite.getByRole('button', { name: 'Envoyer l’invitation' }).click()
    await invite.getByRole('alert').filter({ hasText: 'L’adresse e-mail est obligatoire.' }).waitFor()
    await invite.getByLabel('E-mail du collaborateur').fill(NEW_MEMBER)
    await invite.getByLabel('Rôle').selectOption({ label: 'Avocat(e)' })
    await invite.getByRole('button', { name: 'Envoyer l’invitation' }).click()
    await invite
      .getByRole('status')
      .filter({ hasText: `Invitation envoyée à ${NEW_MEMBER}.` })
      .waitFor()
    await check(admin.page, admin.console, '17-account-invite')

    const token = await mailedToken(NEW_MEMBER, '/invitation')
    const guest = await newPage({ width: 1280, height: 900 })
    const res = await guest.page.goto(`/invitation?token=${token}`)
    expect(res?.headers()['referrer-policy']).toBe('no-referrer')
    await guest.page.getByRole('heading', { level: 1, name: 'Rejoindre Cabinet Dupont' }).waitFor()
    expect(await guest.page.getByLabel('E-mail').inputValue()).toBe(NEW_MEMBER)
    await guest.page.getByLabel('Nom et prénom').fill('Inès Garnier')
    await guest.page.locator('#accept-password').fill('une phrase de passe solide')
    await guest.page.getByLabel('Confirmez le mot de passe').fill('une autre phrase')
    await guest.page.getByRole('button', { name: 'Créer mon compte' }).click()
    await guest.page.getByRole('alert').filter({ hasText: 'Les deux mots de passe ne sont pas identiques.' }).waitFor()
    expect(await guest.page.getByLabel('Nom et prénom').inputValue()).toBe('Inès Garnier')
    await check(guest.page, guest.console, '18-invitation')
    await guest.page.locator('#accept-password').fill('une phrase de passe solide')
    await guest.page.getByLabel('Confirmez le mot de passe').fill('une phrase de passe solide')
    await guest.page.getByRole('button', { name: 'Créer mon compte' }).click()
    await guest.page.waitForURL((u) => u.pathname === '/dossiers')
    await guest.page.getByTestId('cabinet').getByText('Cabinet Dupont').waitFor()
    await guest.page.getByText('Inès Garnier').first().waitFor()
    expect(
      await prisma.user.findUniqueOrThrow({ where: { email: NEW_MEMBER }, select: { tenantId: true, role: true } }),
    ).toEqual({ tenantId: 'cabinet-dupont', role: 'AVOCAT' })
    expect(guest.console.take()).toEqual([])
  })

  it('resets a forgotten password from the login page: same answer for any address, the link works once', async () => {
    const visitor = await newPage({ width: 1280, height: 900 })
    await visitor.page.goto('/login')
    await visitor.page.getByRole('link', { name: 'Mot de passe oublié ?' }).click()
    await visitor.page.waitForURL((u) => u.pathname === '/mot-de-passe-oublie')
    await visitor.page.getByRole('heading', { level: 1, name: 'Mot de passe oublié' }).waitFor()
    await check(visitor.page, visitor.console, '19-mot-de-passe-oublie')
    const mailsBefore = smtp.to(NEW_MEMBER).length
    await visitor.page.getByLabel('E-mail').fill(NEW_MEMBER)
    await visitor.page.getByRole('button', { name: 'Recevoir un lien' }).click()
    const confirmation = visitor.page.getByRole('status').filter({ hasText: 'Si cette adresse correspond à un compte' })
    await confirmation.waitFor()
    const text = await confirmation.textContent()
    await check(visitor.page, visitor.console, '20-mot-de-passe-oublie-envoye')
    // An unknown address: word for word the same.
    const unknown = await newPage({ width: 1280, height: 900 })
    await unknown.page.goto('/mot-de-passe-oublie')
    await unknown.page.getByLabel('E-mail').fill('personne@nulle-part.fr')
    await unknown.page.getByRole('button', { name: 'Recevoir un lien' }).click()
    expect(await unknown.page.getByRole('status').filter({ hasText: 'Si cette adresse' }).textContent()).toBe(text)

    const token = await mailedToken(NEW_MEMBER, '/mot-de-passe/nouveau', mailsBefore + 1)
    await visitor.page.goto(`/mot-de-passe/nouveau?token=${token}`)
    await visitor.page.getByRole('heading', { level: 1, name: 'Nouveau mot de passe' }).waitFor()
    await visitor.page.locator('#new-password').fill('court')
    await visitor.page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click()
    await visitor.page.locator('#new-password[aria-invalid="true"]').waitFor()
    await check(visitor.page, visitor.console, '21-nouveau-mot-de-passe')
    await visitor.page.locator('#new-password').fill('encore une phrase de passe')
    await visitor.page.locator('#new-confirm').fill('encore une phrase de passe')
    await visitor.page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click()
    await visitor.page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('motdepasse') === 'modifie')
    await visitor.page.getByText('Votre mot de passe a été modifié.').waitFor()
    await login(visitor.page, NEW_MEMBER, 'encore une phrase de passe')
    await visitor.page.waitForURL((u) => u.pathname === '/dossiers')

    await visitor.page.goto(`/mot-de-passe/nouveau?token=${token}`)
    await visitor.page.getByRole('heading', { level: 1, name: 'Lien expiré ou déjà utilisé' }).waitFor()
    await visitor.page.getByRole('link', { name: 'Demander un nouveau lien' }).waitFor()
    await check(visitor.page, visitor.console, '22-lien-expire')
  })
})

describe('the pages in Chromium at a phone width (390 px)', { timeout: 180_000 }, () => {
  it('are usable and accessible', async () => {
    const { page, console } = await newPage({ width: 390, height: 844 })
    await page.goto('/dossiers')
    await page.waitForURL((u) => u.pathname === '/login')
    // The demo password never breaks across lines ("demo-/password").
    const hint = page.locator('code', { hasText: 'demo-password' })
    expect((await hint.boundingBox())!.height).toBeLessThan(24)
    await check(page, console, '01-login')
    await login(page, 'demo@cabinet-dupont.fr')
    await page.waitForURL((u) => u.pathname === '/dossiers')
    await page.getByRole('link', { name: `${TITLE} (appel)` }).waitFor()
    await page.getByTestId('cabinet-narrow').getByText('Cabinet Dupont').waitFor()
    // Who is logged in stays visible; the navigation is one row (it scrolls sideways), never a lone entry below.
    const user = page.getByTestId('user-narrow')
    expect(await user.isVisible()).toBe(true)
    expect(await user.textContent()).toBe('Claire Dupont · Administrateur(trice)')
    const nav = page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link')
    const tops = new Set<number>()
    for (const box of await Promise.all((await nav.all()).map((l) => l.boundingBox()))) tops.add(Math.round(box!.y))
    expect(tops.size).toBe(1)
    expect(await nav.allTextContents()).toEqual(expect.arrayContaining(['Dossiers', 'État du service', 'Mon compte']))
    await check(page, console, '04-dossiers')
    await page.goto('/dossiers?tri=echeance')
    await page.getByRole('list', { name: 'Liste des dossiers' }).getByText('Échéance :').first().waitFor()
    await check(page, console, '04-dossiers-by-deadline')
    await page.goto('/dossiers/new')
    await page.getByLabel('Titre').fill('  ')
    await page.getByLabel('Client').fill(CLIENT)
    await page.getByRole('button', { name: 'Créer le dossier' }).click()
    await page.locator('#new-title[aria-invalid="true"]').waitFor()
    await check(page, console, '05-new-dossier-invalid')
    await page.goto(dossierPath)
    await page.getByTestId('analysis-status').getByText('Terminée').waitFor()
    // Closed (above): disabled, with the reason; then a new client name makes the analysis stale.
    await page.getByText('Dossier clôturé : rouvrez-le').waitFor()
    await page.getByLabel('Client').fill('Julien et Marie Navarro')
    await page.getByRole('button', { name: 'Enregistrer' }).click()
    await page.getByTestId('analysis-stale').waitFor()
    await check(page, console, '08-dossier-analysed')
    await page.goto(`${dossierPath}/supprimer`)
    await page.getByRole('button', { name: 'Supprimer définitivement' }).waitFor()
    await check(page, console, '14-delete-confirm')
    await page.goto('/leaderboard')
    await page.locator('tr[aria-current="true"]').waitFor()
    await check(page, console, '10-leaderboard')
    await page.goto('/echeances')
    await page.getByRole('heading', { level: 1, name: 'Échéances' }).waitFor()
    await check(page, console, '16-echeances')
    await page.goto('/status')
    await page.getByRole('heading', { name: 'Analyses de votre cabinet' }).waitFor()
    await check(page, console, '11-status')
    await page.getByRole('link', { name: 'Mon compte' }).click()
    await page.getByRole('heading', { level: 1, name: 'Mon compte' }).waitFor()
    await check(page, console, '13-account')
    const ops = await newPage({ width: 390, height: 844 })
    await ops.page.goto('/login?next=%2Fstatus')
    await login(ops.page, 'demo@cabinet-martin.fr')
    await ops.page.getByTestId('usage-month').waitFor()
    await check(ops.page, ops.console, '11-status-platform')
    const anonymous = await newPage({ width: 390, height: 844 })
    await anonymous.page.goto('/mot-de-passe-oublie')
    await anonymous.page.getByRole('heading', { level: 1, name: 'Mot de passe oublié' }).waitFor()
    await check(anonymous.page, anonymous.console, '19-mot-de-passe-oublie')
    // An invitation sent from the page's own session (the ADMIN's), opened on a phone.
    const invited = 'marc.petit@cabinet-dupont.fr'
    const sent = await page.evaluate(
      (email) =>
        fetch('/api/invitations', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, role: 'ASSISTANT' }),
        }).then((r) => r.status),
      invited,
    )
    expect(sent).toBe(201)
    await anonymous.page.goto(`/invitation?token=${await mailedToken(invited, '/invitation')}`)
    await anonymous.page.getByRole('heading', { level: 1, name: 'Rejoindre Cabinet Dupont' }).waitFor()
    await check(anonymous.page, anonymous.console, '18-invitation')
    const missing = await page.goto('/dossiers/does-not-exist')
    expect(missing?.status()).toBe(404)
    await check(page, console, '12-not-found', /status of 404/)
    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Vous êtes déconnecté(e).' }).waitFor()
    await check(page, console, '16-logged-out')
  })
})
