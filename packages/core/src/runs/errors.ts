import { BffError } from '../errors/bff-error.js'

/** An artifact could not be used: `ARTIFACT_MISSING`, `ARTIFACT_UNREADABLE` or `PATH_OUTSIDE_ROOT`. */
export class ArtifactError extends BffError {
  constructor(
    code: 'ARTIFACT_MISSING' | 'ARTIFACT_UNREADABLE' | 'PATH_OUTSIDE_ROOT',
    readonly path: string,
    message: string,
  ) {
    super(code, message, { path })
    this.name = 'ArtifactError'
  }
}

/** The upstream does not know the run. */
export class RunNotFoundError extends BffError {
  constructor(runId: string) {
    super('RUN_NOT_FOUND', `Run ${runId} not found`, { run_id: runId })
    this.name = 'RunNotFoundError'
  }
}
