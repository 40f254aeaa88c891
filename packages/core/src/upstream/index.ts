export { createUpstreamClient, type UpstreamClientOptions } from './client.js'
export type { BarsQuery, CallOptions, ListQuery, Upstream } from './upstream.js'
