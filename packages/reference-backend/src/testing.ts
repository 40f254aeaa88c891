/**
 * Test support shared by every package's tests: locating the shared fixtures and replaying the recorded
 * upstream goldens against any server that claims the Hewston contract (the reference backend, the BFF).
 */
export { type SharedFixtures, repoRoot, sharedFixtures } from './testing/shared.js'
export { startGeneratedBackend } from './testing/generated.js'
export { type RawResponse, parseResponses, rawHttp } from './testing/raw-http.js'
export {
  type GoldenHttpEntry,
  type GoldenWsSession,
  type HttpResult,
  loadHttpGoldens,
  loadWsSessions,
  sendRaw,
  requestBodyOf,
  compareHttp,
  isVolatile,
} from './testing/golden.js'
