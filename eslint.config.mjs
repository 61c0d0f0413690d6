import { readdirSync } from 'node:fs'
// @ts-check
import js from '@eslint/js'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import { importX } from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/** Packages the framework-free code (the Redis package, the endpoint) may not use: it runs outside Next too (scripts, worker, endpoint). */
const APP = 'the Redis package does not import the app: the app imports it'
const FRAMEWORK = [
  { name: 'next', message: 'framework-free code: take what it needs from Next (after/waitUntil) as a parameter' },
  { name: 'react', message: 'framework-free code' },
  { name: 'react-dom', message: 'framework-free code' },
]
// src/lib in floors (docs/architecture.md): a folder imports only from the floors below it, and the
// domains of one floor never import each other (they meet in services/).
const FOUNDATIONS = ['core', 'demo', 'upstash.ts', 'upstash-config.ts']
const SHARED = ['request', 'auth', 'mail', 'tenants', 'scores', 'usage']
const DOMAINS = ['dossiers', 'deadlines', 'analyses', 'accounts', 'users', 'startup-check.ts']
const TOP = ['services', 'pages']
const lib = (names) => names.map((n) => `./src/lib/${n}`)
const LIB_FLOORS = [
  ...FOUNDATIONS.map((n) => ({
    target: `./src/lib/${n}`,
    from: lib([...FOUNDATIONS.filter((m) => m !== n && !m.startsWith('upstash')), ...SHARED, ...DOMAINS, ...TOP]),
    message: 'src/lib/core and demo are the foundations: they import nothing else of src/lib but the Redis door',
  })),
  ...SHARED.map((n) => ({
    target: `./src/lib/${n}`,
    from: lib([...SHARED.filter((m) => m !== n), ...DOMAINS, ...TOP]),
    message: 'a shared service (request, auth, mail, tenants, scores, usage) builds on the foundations alone',
  })),
  ...DOMAINS.map((n) => ({
    target: `./src/lib/${n}`,
    from: lib([...DOMAINS.filter((m) => m !== n), ...TOP]),
    message: 'a domain does not import another domain: wire them together in src/lib/services',
  })),
  ...TOP.map((n) => ({
    target: `./src/lib/${n}`,
    from: lib(TOP.filter((m) => m !== n)),
    message: 'services/ and pages/ do not import each other',
  })),
]
// A folder or file of src/lib on no floor would escape every rule above: name it in one of the lists.
const unplaced = readdirSync(new URL('./src/lib', import.meta.url)).filter(
  (n) => ![...FOUNDATIONS, ...SHARED, ...DOMAINS, ...TOP].includes(n),
)
if (unplaced.length > 0)
  throw new Error(
    `eslint.config.mjs: src/lib/${unplaced.join(', src/lib/')} is on no floor: add it to FOUNDATIONS, SHARED, DOMAINS or TOP`,
  )
const FRAMEWORK_PATTERNS = [{ group: ['next/*', 'react/*', 'react-dom/*'], message: 'framework-free code' }]

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'src/generated/**',
      '.next/**',
      '.next-*/**',
      'test-results/**',
      'coverage/**',
      'bench/results/**',
      'next-env.d.ts',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: {
      // Without these the import rules skip .ts files (they parse .js only by default).
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      // Resolves `@/…` through tsconfig.json's paths, so the import rules see the real files.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      // The layers: who may import whom (docs/architecture.md).
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src',
              from: ['./tests', './bench', './testing'],
              message: 'application code never imports test or benchmark code',
            },
            {
              target: ['./testing', './bench'],
              from: './tests',
              message: 'shared tooling lives in testing/; tests/ is for the tests only',
            },
            {
              target: './src/redis',
              from: ['./src/lib', './src/app', './src/components', './src/actions', './src/proxy.ts'],
              message: 'the Redis package does not import the app: the app imports it',
            },
            {
              target: './src/upstash-local',
              from: ['./src/lib', './src/app', './src/components', './src/actions', './src/proxy.ts', './src/redis'],
              message: 'the local endpoint stands alone: it speaks HTTP and RESP, nothing of the app',
            },
            {
              target: './src/components',
              from: './src/app',
              message: 'components do not import from src/app: server actions live in src/actions',
            },
            {
              target: './src/actions',
              from: ['./src/app', './src/components', './src/proxy.ts'],
              message:
                'server actions are adapters over src/lib, like route handlers: they import no page or component',
            },
            {
              target: './src/lib',
              from: ['./src/app', './src/components', './src/actions', './src/proxy.ts'],
              message: 'src/lib is what routes, pages, actions and the proxy use, never the reverse',
            },
            ...LIB_FLOORS,
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Control characters in patterns are the point where they appear: stripping them from input and output.
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Functions a reader can hold in mind; past 4 positional parameters, callers pass a named object.
    files: ['src/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
      'max-params': ['error', 4],
    },
  },
  {
    files: ['src/redis/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...FRAMEWORK, { name: '@/lib', message: APP }],
          patterns: [...FRAMEWORK_PATTERNS, { group: ['@/lib/*', '@/app/*', '@/components/*'], message: APP }],
        },
      ],
    },
  },
  {
    // The app reaches the Redis package through its one door, src/lib/upstash.ts (the guide's
    // `@/lib/upstash`), never through its folders: what it needs is exported from src/redis/index.ts.
    // src/lib/upstash-config.ts is the settings check alone, for code that runs before Next loads.
    files: ['src/**', 'scripts/**'],
    ignores: ['src/redis/**', 'src/lib/upstash.ts', 'src/lib/upstash-config.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@/redis', '@/redis/*', '**/src/redis', '**/src/redis/*'],
              message:
                "the app imports the Redis package through '@/lib/upstash' (its entry): export what it needs from src/redis/index.ts",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/upstash-local/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: FRAMEWORK, patterns: FRAMEWORK_PATTERNS }],
    },
  },
  {
    files: ['src/components/**/*.tsx', 'src/app/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },
)
