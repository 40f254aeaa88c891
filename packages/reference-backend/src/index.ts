/**
 * @hewston-bff/reference-backend — a Hewston-compatible upstream for development and tests.
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
export { ReferenceBackend, startReferenceBackend, type ReferenceBackendOptions } from './server.js'
export { type FaultConfig, type RouteFault, HEAD_STREAM_ERROR, parseRouteFault } from './faults.js'
export type { BackendStats } from './stream/context.js'
export { generateWorkdir, type GenerateOptions, type GenerateResult, type GeneratedRun } from './generate/generate.js'
export { WorkdirError } from './data/workdir.js'
export { UPSTREAM_CORS_ORIGINS } from './http/cors.js'
export { PyFloat, pyDumps, pyFloatRepr, pyLoads } from './py-json.js'
