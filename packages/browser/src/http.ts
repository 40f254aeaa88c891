import { BffError } from '@hewston-bff/core'

/**
 * A non-2xx answer, from the BFF or (in direct mode) the backend. `code` is the envelope's `error.code`
 * when the body has one, else `HTTP_<status>`; `body` is the answer as it came (JSON when it parses).
 */
export class HewstonApiError extends BffError {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super((body as { error?: { code?: string } })?.error?.code ?? `HTTP_${status}`, `answered ${status}`, { status })
    this.name = 'HewstonApiError'
  }
}

export interface JsonRequest {
  method?: 'GET' | 'POST'
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Gives up after this long (default 10 s): a hung server must not hang the page. */
  timeoutMs?: number
}

/**
 * One JSON request with `fetch` and nothing else. The SDK's calls go through here rather than through
 * core's ky client: they pass answers on as the server gave them (the frontend's own services did the
 * same), so the drop-ins cost a browser app ~2 KB instead of ky and the contract's schemas. A network
 * failure stays fetch's `TypeError`, a timeout a `TimeoutError`, an abort the signal's reason.
 */
export async function requestJson<T>(fetchImpl: typeof fetch, url: string, request: JsonRequest = {}): Promise<T> {
  const timeout = AbortSignal.timeout(request.timeoutMs ?? 10_000)
  const signal = request.signal ? either(request.signal, timeout) : timeout
  const res = await fetchImpl(url, {
    method: request.method ?? 'GET',
    headers: request.body === undefined ? request.headers : { 'content-type': 'application/json', ...request.headers },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    signal,
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    if (res.ok) throw new HewstonApiError(res.status, text)
  }
  if (!res.ok) throw new HewstonApiError(res.status, body)
  return body as T
}

/** A signal that aborts with whichever of the two aborts first (`AbortSignal.any` where the browser has it). */
function either(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b])
  const both = new AbortController()
  for (const s of [a, b]) {
    if (s.aborted) both.abort(s.reason)
    else s.addEventListener('abort', () => both.abort(s.reason), { once: true })
  }
  return both.signal
}

/** A query string from a parameters object (values already compacted), with its leading `?` when not empty. */
export function queryString(params: object): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}
