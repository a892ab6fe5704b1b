// The one error the stack CLI throws: a stable code, the service it concerns, and the log file to read.
import { IngestError } from '../../src/errors.ts'

export type StackErrorCode =
  | 'STACK_CONFIG'
  | 'STACK_ENV'
  | 'STACK_TOOL_MISSING'
  | 'STACK_DOWNLOAD'
  | 'STACK_PORT_TAKEN'
  | 'STACK_EXITED'
  | 'STACK_TIMEOUT'
  | 'STACK_PREPARE'
  | 'STACK_INTERRUPTED'

/** A stack command failed; the message names the service, the reason and (when there is one) the log file. */
export class StackError extends IngestError {
  constructor(code: StackErrorCode, message: string, options: { service?: string; logFile?: string; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, context: { service: options.service, logFile: options.logFile } })
  }
}
