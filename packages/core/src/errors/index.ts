export { BffError, isBffError } from './bff-error.js'
export { ValidationError, type FieldIssue } from './validation-error.js'
export { UpstreamContractError, UpstreamHttpError, UpstreamTimeoutError, UpstreamUnavailableError } from './upstream-errors.js'
