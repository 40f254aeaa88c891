import { BffError } from './bff-error.js'

/** The upstream's run stream failed in-band (`event: error`, e.g. its HEAD's `STREAM_ERROR`); `code` is the upstream's. */
export class UpstreamStreamError extends BffError {
  constructor(code: string, message: string) {
    super(code, message, null)
    this.name = 'UpstreamStreamError'
  }
}
