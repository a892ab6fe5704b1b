/** REST catalog responses → the toolkit's typed errors (one place, so every call maps statuses alike). */
import {
  AlreadyExistsError,
  CatalogError,
  CommitConflictError,
  CommitStateUnknownError,
  NoSuchEntityError,
} from '../../errors.ts'

/** The REST spec's `ErrorModel`, wrapped as `{ error: {...} }`. */
interface ErrorModel {
  message?: string
  type?: string
  code?: number
}

export type RestOperation = 'commit' | 'table' | 'namespace' | 'other'

function errorModel(body: string): ErrorModel {
  try {
    const parsed = JSON.parse(body) as { error?: ErrorModel }
    return parsed.error ?? {}
  } catch {
    return { message: body.slice(0, 500) }
  }
}

/**
 * Turn a non-2xx answer into an error. For commits, 409 is a conflict (reload and retry) and
 * 5xx is an unknown state (the commit may have landed: never delete its files) — the REST spec's
 * CommitStateUnknown contract.
 */
export function restError(operation: RestOperation, subject: string, status: number, body: string): Error {
  const model = errorModel(body)
  const detail = `${model.type ?? 'error'}: ${model.message ?? '(no message)'}`
  const message = `REST catalog ${operation} ${subject} failed with HTTP ${status} (${detail})`
  if (operation === 'commit') {
    if (status === 409) return new CommitConflictError(message, { context: { subject } })
    if (status >= 500 || status === 408 || status === 429) return new CommitStateUnknownError(message, { status, context: { subject } })
  }
  if (status === 404 && (operation === 'table' || operation === 'commit')) {
    const what = /namespace/i.test(model.type ?? '') ? 'namespace' : 'table'
    return new NoSuchEntityError(what, subject, { cause: new Error(detail) })
  }
  if (status === 404 && operation === 'namespace') return new NoSuchEntityError('namespace', subject, { cause: new Error(detail) })
  if (status === 409 && operation !== 'commit') {
    return new AlreadyExistsError(operation === 'namespace' ? 'namespace' : 'table', subject, { cause: new Error(detail) })
  }
  return new CatalogError(message, { status, retryable: status >= 500 || status === 429, context: { subject, type: model.type } })
}
