export type { BarsQuery, CallOptions, ListQuery, Upstream } from './upstream.js'
export { createUpstreamClient, type UpstreamClientOptions } from './client.js'
