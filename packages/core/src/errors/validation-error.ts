import { BffError } from './bff-error.js'

/** One failing field of a request. */
export interface FieldIssue {
  field: string
  message: string
}

/** A request the BFF can prove malformed; answered with 422 `VALIDATION` without calling the upstream. */
export class ValidationError extends BffError {
  constructor(
    readonly issues: FieldIssue[],
    message = 'Request validation failed',
  ) {
    super('VALIDATION', message, issues)
    this.name = 'ValidationError'
  }
}
