import { FLAG_GROUPS, type Flags, flagOverrides } from '@hewston-bff/core'
import type { Redis } from 'ioredis'

/** The Redis key (under the instance's `--redis-prefix`) of the fleet's flag overrides. */
export const FLAGS_KEY = 'flags'

/**
 * The fleet's kill switch in Redis: one JSON object of overrides (`{"stream": false}`) that every
 * instance reads on each `/api/v1/flags` request — a Redis GET, so a change is served by all instances at
 * once (no pub/sub, no poll of our own: the browser SDK's poll is the only delay).
 */
export class RedisFlagStore {
  constructor(private readonly redis: Redis) {}

  async read(): Promise<Partial<Flags>> {
    const text = await this.redis.get(FLAGS_KEY)
    return text ? flagOverrides(JSON.parse(text)) : {}
  }

  /** Merges `changes` into the stored overrides; returns the result. */
  async set(changes: Partial<Flags>): Promise<Partial<Flags>> {
    const next = { ...(await this.read()), ...changes }
    await this.redis.set(FLAGS_KEY, JSON.stringify(next))
    return next
  }

  async clear(): Promise<void> {
    await this.redis.del(FLAGS_KEY)
  }
}

/** Parses `stream=off chartData=on …` (on/off/true/false); throws with a message naming the bad part. */
export function parseFlagAssignments(args: readonly string[]): Partial<Flags> {
  const out: Partial<Flags> = {}
  for (const arg of args) {
    const m = /^([A-Za-z]+)=(on|off|true|false)$/.exec(arg)
    const group = m?.[1] as keyof Flags | undefined
    if (!m || !group || !(FLAG_GROUPS as readonly string[]).includes(group))
      throw new Error(`"${arg}" is not <group>=on|off (groups: ${FLAG_GROUPS.join(', ')})`)
    out[group] = m[2] === 'on' || m[2] === 'true'
  }
  return out
}
