import type { RunList, RunListItem } from '../contract/backtests.js'
import type { CatalogMetrics, MetricsCatalog } from './ports.js'

export interface EnrichedRunList {
  items: (RunListItem & { metrics: Omit<CatalogMetrics, 'computed_at'> | null })[]
  total: number
  limit: number
  offset: number
  metadata: { enriched: boolean; metrics_source: 'catalog' | null; reason?: string }
}

/**
 * The upstream's run list with each item's metrics from the catalog — one query for the whole page, not
 * one per run. Without a catalog (or when it fails) items come back with `metrics: null` and the metadata
 * says why.
 */
export async function enrichRunList(list: RunList, catalog: MetricsCatalog | undefined): Promise<EnrichedRunList> {
  const bare = (reason: string): EnrichedRunList => ({
    ...list,
    items: list.items.map((i) => ({ ...i, metrics: null })),
    metadata: { enriched: false, metrics_source: null, reason },
  })
  if (!catalog) return bare('no catalog configured (--root)')
  let found: Map<string, CatalogMetrics>
  try {
    found = await catalog.metricsFor(list.items.map((i) => i.run_id))
  } catch (err) {
    return bare(`catalog unavailable: ${(err as Error).message}`)
  }
  return {
    ...list,
    items: list.items.map((i) => {
      const m = found.get(i.run_id)
      if (!m) return { ...i, metrics: null }
      const { computed_at: _c, ...values } = m
      return { ...i, metrics: values }
    }),
    metadata: { enriched: true, metrics_source: 'catalog' },
  }
}
