/**
 * @hewston-bff/reference-backend — a Hewston-compatible upstream for development and tests, checked byte
 * for byte against the recorded goldens, behaving like uvicorn on the wire.
 *
 * Architecture: `server.ts` (routing, faults, stop/restart), `routes/` (REST), `stream/` (SSE and WS),
 * `http/` (uvicorn-like connections, CORS, replies), `data/` (Parquet and the node:sqlite catalog),
 * `generate/` (the deterministic data generator), `py-*.ts` (Python's JSON and parameter semantics),
 * `testing/` (shared fixtures, goldens, raw HTTP, WS replay; `@hewston-bff/reference-backend/testing`). It
 * is independent of the BFF's packages, as the real upstream is.
 *
 * @example
 * ```ts
 * import { startReferenceBackend } from '@hewston-bff/reference-backend'
 * const backend = await startReferenceBackend({ root: '../shared/hewston-data', port: 0 })
 * await fetch(`${backend.url}/healthz`) // {"status":"ok"}
 * backend.setFaults({ routes: [{ path: '/bars/*', status: 503 }] })
 * await backend.restart() // same port
 * await backend.close()
 * ```
 */

export { WorkdirError } from './data/workdir.js'
export { type FaultConfig, HEAD_STREAM_ERROR, parseRouteFault, type RouteFault } from './faults.js'
export { type GeneratedRun, type GenerateOptions, type GenerateResult, generateWorkdir } from './generate/generate.js'
export { UPSTREAM_CORS_ORIGINS } from './http/cors.js'
export { PyFloat, pyDumps, pyFloatRepr, pyLoads } from './py-json.js'
export { ReferenceBackend, type ReferenceBackendOptions, startReferenceBackend } from './server.js'
export type { BackendStats } from './stream/context.js'
