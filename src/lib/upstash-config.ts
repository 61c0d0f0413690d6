/**
 * The Redis package's settings check, without the Next wiring of src/lib/upstash.ts: for code that runs
 * before Next is loaded in the same process (scripts/serve.ts's start-up check), where importing
 * next/server first breaks Next's own request storage.
 */
export { ConfigError, parseConfig } from '@/redis'
