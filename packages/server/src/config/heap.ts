import v8 from 'node:v8'
import type { BffConfig } from './config.js'

/**
 * The V8 heap an instance needs: its bounded stores (`--cache-max-mb`, `--stream-pool-mb`) plus room for
 * everything else that lives on the heap for a while — requests and answers in flight, playback sessions,
 * timelines being loaded, garbage between collections.
 *
 * Why it matters: with its default limit (about 4 GB on 64-bit), V8 lets the heap grow to several times
 * what is live before it collects, so under mixed load an instance with 384 MB of bounds settled at
 * 860–900 MB RSS in the soak bench. Started with `--max-old-space-size` at this figure, the same load
 * stayed at 440–470 MB — within the bounds + 150 MB — with live data peaking at ~260 MB of heap, well
 * below the limit (`npm run bench -- soak`; docs/deploy.md).
 */
export const HEAP_HEADROOM_MB = 256

export function heapLimitMb(config: Pick<BffConfig, 'cacheMaxMb' | 'streamPoolMb'>): number {
  return config.cacheMaxMb + config.streamPoolMb + HEAP_HEADROOM_MB
}

/** The Node options an instance with this config should start with (`NODE_OPTIONS`). */
export function recommendedNodeOptions(config: Pick<BffConfig, 'cacheMaxMb' | 'streamPoolMb'>): string {
  return `--max-old-space-size=${heapLimitMb(config)}`
}

/**
 * What to tell the operator about the running process's heap limit, if anything: far above the bounds
 * (memory will settle well beyond them), or below them (the stores cannot fill without running out).
 * The young generation and code space come on top of old space, hence the tolerance.
 */
export function heapLimitAdvice(
  config: Pick<BffConfig, 'cacheMaxMb' | 'streamPoolMb'>,
  limitBytes: number = v8.getHeapStatistics().heap_size_limit,
): { level: 'warn'; message: string; limitMb: number; recommended: string } | undefined {
  const limitMb = Math.round(limitBytes / 2 ** 20)
  const wanted = heapLimitMb(config)
  const recommended = recommendedNodeOptions(config)
  const bounds = `--cache-max-mb ${config.cacheMaxMb} + --stream-pool-mb ${config.streamPoolMb}`
  if (limitMb > wanted + 256)
    return {
      level: 'warn',
      limitMb,
      recommended,
      message: `V8's heap limit (${limitMb} MB) is far above this instance's memory bounds (${bounds}): resident memory will settle at several times the bounds. Start it with NODE_OPTIONS="${recommended}" (hewston-bff node-options prints it).`,
    }
  if (limitMb < config.cacheMaxMb + config.streamPoolMb + 64)
    return {
      level: 'warn',
      limitMb,
      recommended,
      message: `V8's heap limit (${limitMb} MB) is below this instance's memory bounds (${bounds}): the process may run out of heap before its stores are full. Start it with NODE_OPTIONS="${recommended}" or lower the bounds.`,
    }
  return undefined
}
