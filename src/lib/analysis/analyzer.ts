/**
 * Transitional: the old path of src/lib/analyses/analyzer.ts, kept only for tests/lib/worker.test.ts
 * until it moves with the Redis-layer tests. Delete it then.
 */
export { analyzeDossier, type AnalysisResult, type Analyzer } from '@/lib/analyses/analyzer'
