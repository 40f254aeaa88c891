/** Endpoint groups, each switchable between the BFF and the backend on its own. */
export const FLAG_GROUPS = ['proxy', 'chartData', 'runData', 'stream'] as const
export type FlagGroup = (typeof FLAG_GROUPS)[number]
/** `true`: the group goes through the BFF; `false`: straight to the backend (the rollback path). */
export type Flags = Record<FlagGroup, boolean>

export const DEFAULT_FLAGS: Flags = { proxy: true, chartData: true, runData: true, stream: true }

/** The groups an operator's override object sets (`{"stream": false}`), ignoring anything else in it. */
export function flagOverrides(doc: unknown): Partial<Flags> {
  const out: Partial<Flags> = {}
  if (typeof doc !== 'object' || doc === null) return out
  for (const g of FLAG_GROUPS) {
    const v = (doc as Record<string, unknown>)[g]
    if (typeof v === 'boolean') out[g] = v
  }
  return out
}
