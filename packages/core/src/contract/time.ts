/** `2024-12-30T14:30:00Z`: the contract's timestamp form (UTC, second precision, `Z`) of epoch milliseconds. */
export const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`

/** Epoch milliseconds of a timestamp as artifacts hold it: a Date, epoch ms, or ISO text. */
export const epochMs = (v: unknown): number => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(String(v)))
