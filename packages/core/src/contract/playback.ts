import * as z from 'zod/mini'
import { described } from './described.js'
import { FRAME_FIELDS, type FrameField } from './frame-fields.js'
import type { StreamedFrame } from './stream.js'

/**
 * The BFF's playback stream protocol (`/api/v1/runs/{id}/stream`): handshake parameters and the values
 * clients send in `ctrl` messages, parsed in one place for the host and {@link PlaybackSession} alike.
 * Parsing is strict on purpose: `Number()` would take `0x10` and `1e-320`, `Date.parse()` would take
 * `Nov 15 2024` and roll `2024-02-30` into March.
 */

export const PLAYBACK_FPS = { min: 1, max: 60, default: 30 } as const
/** 1 plays a year of market time per hour; below 0.001 a run would not visibly move, above 10^6 it is over at once. */
export const PLAYBACK_SPEED = { min: 0.001, max: 1_000_000, default: 60 } as const

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/

/**
 * Milliseconds since the epoch of a strict ISO-8601 timestamp with a zone (`2024-12-02T14:30:00Z`,
 * `…+01:00`, optional seconds and fraction), or undefined when it is anything else or names no real time.
 */
export function parseIsoTimestamp(s: string): number | undefined {
  const m = ISO_UTC.exec(s)
  if (!m) return undefined
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return undefined
  const day = new Date(0)
  day.setUTCFullYear(y, mo - 1, d)
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined
  const ms = Date.parse(s)
  return Number.isNaN(ms) ? undefined : ms
}

/** A playback speed from a JSON number: finite and within {@link PLAYBACK_SPEED}. */
export function isPlaybackSpeed(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= PLAYBACK_SPEED.min && n <= PLAYBACK_SPEED.max
}

export interface PlaybackQuery {
  fps: number
  speed: number
  /** Resume right after this time: the client's last frame before a reconnect. */
  fromMs: number | undefined
  autoplay: boolean
  /** The frame fields this client wants (all by default). */
  fields: ReadonlySet<FrameField>
}

const ALL_FIELDS: ReadonlySet<FrameField> = new Set(FRAME_FIELDS)

/**
 * A set of frame fields from `ohlc,orders,equity` (any non-empty subset, in any order, each once) or the
 * same names as a JSON array; undefined when it is anything else.
 */
export function parseFrameFields(value: unknown): ReadonlySet<FrameField> | undefined {
  const names = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined
  if (!names?.length) return undefined
  const out = new Set<FrameField>()
  for (const n of names) {
    if (typeof n !== 'string' || !(FRAME_FIELDS as readonly string[]).includes(n) || out.has(n as FrameField)) return undefined
    out.add(n as FrameField)
  }
  return out
}

const FIELDS_HINT = `fields must be a non-empty list of ${FRAME_FIELDS.join(', ')} (each at most once)`

const DECIMAL = /^\d{1,7}(?:\.\d{1,6})?$/

/**
 * The handshake parameters of a playback stream, as strings (what the query carries): validated here, and
 * published in the BFF's OpenAPI document from this very schema.
 */
export const PlaybackQuerySchema = z.object({
  fps: described(
    z.optional(
      z.string().check(
        z.regex(/^\d{1,2}$/),
        z.refine((v) => Number(v) >= PLAYBACK_FPS.min && Number(v) <= PLAYBACK_FPS.max),
      ),
    ),
    `frames per second, an integer ${PLAYBACK_FPS.min}..${PLAYBACK_FPS.max} (default ${PLAYBACK_FPS.default})`,
  ),
  speed: described(
    z.optional(
      z.string().check(
        z.regex(DECIMAL),
        z.refine((v) => isPlaybackSpeed(Number(v))),
      ),
    ),
    `market time per wall time: 1 plays a year per hour (default ${PLAYBACK_SPEED.default}); a decimal in [${PLAYBACK_SPEED.min}, ${PLAYBACK_SPEED.max}]`,
  ),
  from: described(
    z.optional(z.string().check(z.refine((v) => parseIsoTimestamp(v) !== undefined))),
    'resume right after this ISO-8601 timestamp with a zone (the last frame seen before a reconnect)',
  ),
  autoplay: described(z.optional(z.enum(['0', '1', 'true', 'false'])), 'start playing at once (default 0)'),
  fields: described(
    z.optional(z.string().check(z.refine((v) => parseFrameFields(v) !== undefined))),
    `the frame fields to receive: a comma-separated subset of ${FRAME_FIELDS.join(', ')} (default all)`,
  ),
})

const PLAYBACK_ISSUES: Record<keyof z.infer<typeof PlaybackQuerySchema>, string> = {
  fps: `fps must be an integer ${PLAYBACK_FPS.min}..${PLAYBACK_FPS.max}`,
  speed: `speed must be a decimal number in [${PLAYBACK_SPEED.min}, ${PLAYBACK_SPEED.max}]`,
  from: 'from must be an ISO-8601 timestamp with a zone, e.g. 2024-12-02T14:30:00Z',
  autoplay: 'autoplay must be 1/0/true/false',
  fields: `${FIELDS_HINT}, e.g. fields=orders`,
}

/**
 * The handshake query of a playback stream. Returns the options, or the list of problems (each naming
 * its parameter) for a 422.
 */
export function parsePlaybackQuery(q: URLSearchParams): { ok: true; value: PlaybackQuery } | { ok: false; issues: string[] } {
  const raw: Record<string, string> = {}
  for (const key of Object.keys(PLAYBACK_ISSUES)) {
    const v = q.get(key)
    if (v !== null) raw[key] = v
  }
  const parsed = PlaybackQuerySchema.safeParse(raw)
  if (!parsed.success) {
    const failed = new Set(parsed.error.issues.map((i) => String(i.path[0])))
    return {
      ok: false,
      issues: (Object.keys(PLAYBACK_ISSUES) as (keyof typeof PLAYBACK_ISSUES)[])
        .filter((k) => failed.has(k))
        .map((k) => PLAYBACK_ISSUES[k]),
    }
  }
  const v = parsed.data
  return {
    ok: true,
    value: {
      fps: v.fps === undefined ? PLAYBACK_FPS.default : Number(v.fps),
      speed: v.speed === undefined ? PLAYBACK_SPEED.default : Number(v.speed),
      fromMs: v.from === undefined ? undefined : parseIsoTimestamp(v.from),
      autoplay: v.autoplay === '1' || v.autoplay === 'true',
      fields: v.fields === undefined ? ALL_FIELDS : (parseFrameFields(v.fields) as ReadonlySet<FrameField>),
    },
  }
}

/** Where a client's playback stands (`status` messages). */
export type PlaybackState = 'connecting' | 'buffering' | 'live' | 'paused' | 'reconnecting' | 'ended' | 'error'

/** Every message the BFF's playback stream sends a client. */
export type PlaybackMessage =
  | StreamedFrame
  | { t: 'status'; state: PlaybackState; position: string | null; source: 'upstream' | 'artifacts'; attempt?: number; retry_in_ms?: number }
  | { t: 'end'; frames: number; dropped: number }
  | { t: 'err'; code: string; msg: string }
  | { t: 'hb' }
  /** The echo of an accepted `ctrl` message: the client's object, all its keys kept, plus `echo: true`. */
  | (PlaybackCtrl & { echo: true })

/** A client's command. Extra keys (e.g. `client_seq`) are allowed and echoed back. */
export type PlaybackCtrl = { t: 'ctrl'; [key: string]: unknown } & (
  | { cmd: 'play' }
  | { cmd: 'pause' }
  | { cmd: 'seek'; ts: string }
  | { cmd: 'speed'; speed: number }
  /** Which frame fields to send from now on: `["orders"]` or `"ohlc,orders"`. */
  | { cmd: 'fields'; fields: readonly FrameField[] | string }
)

const COMMANDS = new Set(['play', 'pause', 'seek', 'speed', 'fields'])

/**
 * Reads one client message of the playback stream. Checks run in the upstream WebSocket's order (JSON,
 * object, `t`, `cmd`), then the command's own value; `seekToMs` is the parsed `ts` of a seek.
 */
export function parsePlaybackCtrl(
  text: string,
): { ok: true; msg: PlaybackCtrl; seekToMs?: number; fields?: ReadonlySet<FrameField> } | { ok: false; error: string } {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch {
    return { ok: false, error: 'invalid JSON' }
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { ok: false, error: 'message must be a JSON object' }
  const m = msg as Record<string, unknown>
  if (m.t !== 'ctrl') return { ok: false, error: 'unsupported message' }
  if (typeof m.cmd !== 'string' || !COMMANDS.has(m.cmd)) return { ok: false, error: 'invalid ctrl.cmd' }
  if (m.cmd === 'seek') {
    const seekToMs = typeof m.ts === 'string' ? parseIsoTimestamp(m.ts) : undefined
    if (seekToMs === undefined) return { ok: false, error: 'seek needs ts: an ISO-8601 timestamp with a zone, e.g. 2024-12-02T14:30:00Z' }
    return { ok: true, msg: m as PlaybackCtrl, seekToMs }
  }
  if (m.cmd === 'fields') {
    const fields = parseFrameFields(m.fields)
    if (!fields) return { ok: false, error: `${FIELDS_HINT}, e.g. ["orders"]` }
    return { ok: true, msg: m as PlaybackCtrl, fields }
  }
  if (m.cmd === 'speed' && !isPlaybackSpeed(m.speed))
    return { ok: false, error: `speed needs a number in [${PLAYBACK_SPEED.min}, ${PLAYBACK_SPEED.max}]` }
  return { ok: true, msg: m as PlaybackCtrl }
}
