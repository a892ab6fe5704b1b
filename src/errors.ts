/** One error base for the toolkit: a stable `code`, whether a retry can help, the native `cause`, and structured context. */

export interface IngestErrorOptions {
  retryable?: boolean
  cause?: unknown
  context?: Record<string, unknown>
}

export class IngestError extends Error {
  readonly code: string
  readonly retryable: boolean
  readonly context: Record<string, unknown>

  constructor(code: string, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.retryable = options.retryable ?? false
    this.context = options.context ?? {}
  }
}

/** A value does not fit the Iceberg model (bad type string, unknown transform, wrong row value). */
export class ValidationError extends IngestError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('VALIDATION', message, { context })
  }
}

/** Configuration is invalid; `issues` lists every problem by key. */
export class ConfigError extends IngestError {
  constructor(readonly issues: string[]) {
    super('CONFIG', `invalid configuration:\n  ${issues.join('\n  ')}`, { context: { issues } })
  }
}

/** An object-store call failed. `status` is the HTTP status when there was one. */
export class StorageError extends IngestError {
  constructor(message: string, options: IngestErrorOptions & { status?: number; code?: string } = {}) {
    super(options.code ?? 'STORAGE', message, { ...options, context: { ...options.context, status: options.status } })
  }
}

/** The object does not exist. */
export class NotFoundError extends StorageError {
  constructor(location: string, options: IngestErrorOptions = {}) {
    super(`not found: ${location}`, { ...options, code: 'NOT_FOUND', status: 404, context: { location } })
  }
}

/** A catalog call failed with a definite answer (4xx other than 409, bad response). */
export class CatalogError extends IngestError {
  constructor(message: string, options: IngestErrorOptions & { status?: number; code?: string } = {}) {
    super(options.code ?? 'CATALOG', message, { ...options, context: { ...options.context, status: options.status } })
  }
}

/** Namespace or table missing. */
export class NoSuchEntityError extends CatalogError {
  constructor(what: 'namespace' | 'table', name: string, options: IngestErrorOptions = {}) {
    super(`no such ${what}: ${name}`, { ...options, code: what === 'table' ? 'NO_SUCH_TABLE' : 'NO_SUCH_NAMESPACE', status: 404 })
  }
}

/** Namespace or table already exists. */
export class AlreadyExistsError extends CatalogError {
  constructor(what: 'namespace' | 'table', name: string, options: IngestErrorOptions = {}) {
    super(`${what} already exists: ${name}`, { ...options, code: 'ALREADY_EXISTS', status: 409 })
  }
}

/** The commit was rejected because a requirement failed (409 CommitFailed): reload, re-apply, retry. */
export class CommitConflictError extends CatalogError {
  constructor(message: string, options: IngestErrorOptions = {}) {
    super(message, { ...options, code: 'COMMIT_CONFLICT', status: 409, retryable: true })
  }
}

/**
 * The catalog did not say whether the commit landed (5xx, timeout, lost connection).
 * Never delete the files written for it: reload the table and look for our snapshot id.
 */
export class CommitStateUnknownError extends CatalogError {
  constructor(message: string, options: IngestErrorOptions & { status?: number } = {}) {
    super(message, { ...options, code: 'COMMIT_STATE_UNKNOWN', retryable: true })
  }
}
