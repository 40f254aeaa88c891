import type { BffConfig } from '../config/config.js'

/**
 * How `--cache-max-mb` is shared between everything cached in process, so the one figure bounds them all:
 * the encoded entries of the Cache port get half, decoded chart chunks and answers 30 %, complete-run
 * answers and remembered authorisations the rest. (Pooled playback timelines have their own bound,
 * `--stream-pool-mb`.)
 */
export function memoryBudget(config: Pick<BffConfig, 'cacheMaxMb'>): { cacheBytes: number; chartBytes: number; runBytes: number } {
  const total = config.cacheMaxMb * 1024 * 1024
  return { cacheBytes: Math.floor(total * 0.5), chartBytes: Math.floor(total * 0.3), runBytes: Math.floor(total * 0.2) }
}
