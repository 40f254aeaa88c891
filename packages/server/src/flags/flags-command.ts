import { parseArgs } from 'node:util'
import { DEFAULT_FLAGS, FLAG_GROUPS } from '@hewston-bff/core'
import { Redis } from 'ioredis'
import { parseFlagAssignments, RedisFlagStore } from './flag-store.js'

export const FLAGS_HELP = `hewston-bff flags — the fleet's browser feature flags (kill switch), kept in Redis

Usage:
  hewston-bff flags get                    print each group and where its value comes from
  hewston-bff flags set <group>=on|off...  e.g. "stream=off": every instance serves it on its next /api/v1/flags
  hewston-bff flags clear                  remove every override (all groups back on, or the --flags-file's)

Options:
  --redis <url>          Redis holding the flags (env REDIS_URL); the instances' --redis
  --redis-prefix <text>  Their --redis-prefix (env HEWSTON_REDIS_PREFIX, default hewston-bff:)
  -h, --help             Show this help

Groups: ${FLAG_GROUPS.join(', ')}. An instance with --flags-file serves the file's values under Redis's.
`

/** `hewston-bff flags …`: resolves to the process exit code (0 ok, 1 Redis failed, 2 usage). */
export async function flagsCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  let parsed: ReturnType<typeof parse>
  const parse = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { redis: { type: 'string' }, 'redis-prefix': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
  try {
    parsed = parse()
  } catch (e) {
    err(`hewston-bff flags: ${(e as Error).message} (see --help)\n`)
    return 2
  }
  const [action, ...rest] = parsed.positionals
  if (parsed.values.help || !action) {
    out(FLAGS_HELP)
    return parsed.values.help ? 0 : 2
  }
  if (!['get', 'set', 'clear'].includes(action)) {
    err(`hewston-bff flags: unknown action "${action}" (get, set or clear; see --help)\n`)
    return 2
  }
  let changes = {}
  if (action === 'set') {
    try {
      if (!rest.length) throw new Error('nothing to set: give <group>=on|off')
      changes = parseFlagAssignments(rest)
    } catch (e) {
      err(`hewston-bff flags: ${(e as Error).message}\n`)
      return 2
    }
  }
  const url = parsed.values.redis ?? env.REDIS_URL
  if (!url || !/^rediss?:\/\//.test(url)) {
    err('hewston-bff flags: --redis <redis://…> (or REDIS_URL) is required: the flags live in the instances’ Redis\n')
    return 2
  }
  const redis = new Redis(url, {
    keyPrefix: parsed.values['redis-prefix'] ?? env.HEWSTON_REDIS_PREFIX ?? 'hewston-bff:',
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    const store = new RedisFlagStore(redis)
    if (action === 'set') await store.set(changes)
    if (action === 'clear') await store.clear()
    const overrides = await store.read()
    for (const g of FLAG_GROUPS) {
      const value = overrides[g] ?? DEFAULT_FLAGS[g]
      out(`${g.padEnd(10)} ${value ? 'on ' : 'off'}  ${g in overrides ? '(Redis)' : '(default)'}\n`)
    }
    return 0
  } catch (e) {
    err(`hewston-bff flags: Redis at ${url} failed: ${(e as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
}
