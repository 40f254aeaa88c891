/**
 * Test support shared by every package's tests: locating the shared fixtures and replaying the recorded
 * upstream goldens against any server that claims the Hewston contract (the reference backend, the BFF).
 */

export { freePort } from './testing/free-port.js'
export { startGeneratedBackend } from './testing/generated.js'
export {
  compareHttp,
  type GoldenHttpEntry,
  type GoldenWsSession,
  type HttpResult,
  isVolatile,
  loadHttpGoldens,
  loadWsSessions,
  requestBodyOf,
  sendRaw,
} from './testing/golden.js'
export { parseResponses, type RawResponse, rawHttp } from './testing/raw-http.js'
export { repoRoot, type SharedFixtures, sharedFixtures } from './testing/shared.js'
export { diffItems, expectedItems, type FrameRun, replaySession, type WsItem } from './testing/ws-replay.js'
