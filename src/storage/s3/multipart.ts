/**
 * Multipart upload: CreateMultipartUpload (`POST ?uploads`), UploadPart (`PUT ?partNumber&uploadId`,
 * a bounded number in flight), CompleteMultipartUpload (`POST ?uploadId`, XML part list), and
 * AbortMultipartUpload (`DELETE ?uploadId`) when anything fails, so no invisible parts are billed.
 */
import { StorageError } from '../../errors.ts'
import { parseS3Error, s3Error, sendS3, type S3Call, type S3Response, type S3Transport } from './http.ts'
import { escapeXml, xmlText } from './xml.ts'

export interface MultipartTarget {
  transport: S3Transport
  /** URL of the object with the given query. */
  url(query: Record<string, string>): string
  location: string
  contentType: string
  /** Size of the object as S3 has it now (undefined when absent). */
  head(): Promise<number | undefined>
}

/** S3 accepts at most 10,000 parts per upload. */
const MAX_PARTS = 10_000
const decoder = new TextDecoder()

/**
 * CompleteMultipartUpload (like CopyObject) can answer 200 and still fail: the status line is sent
 * before assembly finishes, and an `<Error>` body reports the failure.
 */
function completeFailure(call: S3Call) {
  return (response: S3Response, attempt: number): StorageError | undefined => {
    if (!/<Error[\s>]/.test(decoder.decode(response.body))) return undefined
    // s3Error marks InternalError / SlowDown retryable even under a 200.
    return s3Error(call, response.status, parseS3Error(response.body), attempt)
  }
}

async function uploadParts(target: MultipartTarget, uploadId: string, body: Uint8Array, partSize: number, concurrency: number): Promise<string[]> {
  const count = Math.max(1, Math.ceil(body.byteLength / partSize))
  const etags = new Array<string>(count)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    // Stop taking new parts once one has failed: the upload is going to be aborted.
    while (!failed && next < count) {
      const index = next++
      const partNumber = index + 1
      try {
        const response = await sendS3(target.transport, {
          method: 'PUT',
          url: target.url({ partNumber: String(partNumber), uploadId }),
          location: `${target.location} (part ${partNumber} of ${count})`,
          body: body.subarray(index * partSize, Math.min(body.byteLength, (index + 1) * partSize)),
        })
        const etag = response.headers.get('etag')
        if (etag === null) {
          throw new StorageError(`S3 UploadPart ${target.location} part ${partNumber}: response has no ETag`, {
            code: 'BAD_RESPONSE',
            context: { location: target.location, partNumber },
          })
        }
        etags[index] = etag
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, count) }, worker))
  // Every worker has settled, so no part upload is in flight when the caller aborts.
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (rejected) throw rejected.reason
  return etags
}

async function complete(target: MultipartTarget, uploadId: string, etags: string[], size: number): Promise<void> {
  const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`)
  const call: S3Call = {
    method: 'POST',
    url: target.url({ uploadId }),
    location: target.location,
    headers: { 'content-type': 'application/xml' },
    body: `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts.join('')}</CompleteMultipartUpload>`,
  }
  call.check = completeFailure(call)
  try {
    await sendS3(target.transport, call)
  } catch (error) {
    // A retry after a lost response finds the upload already completed (NoSuchUpload). If the
    // object now has our size, the earlier attempt landed: the upload succeeded.
    const context = error instanceof StorageError ? error.context : {}
    const retried = typeof context.attempt === 'number' && context.attempt > 1
    if (!(retried && context.s3Code === 'NoSuchUpload' && (await target.head()) === size)) throw error
  }
}

/**
 * Uploads `body` in parts of `partSize` bytes (raised when 10,000 parts would not hold it),
 * at most `concurrency` at a time.
 * @throws StorageError from the failing step, after the upload was aborted; if aborting also
 * failed, its message is in the error's context as `abortError` (the parts then expire only
 * through a bucket lifecycle rule).
 */
export async function putMultipart(target: MultipartTarget, body: Uint8Array, partSize: number, concurrency = 4): Promise<void> {
  const size = Math.max(partSize, Math.ceil(body.byteLength / MAX_PARTS))
  const created = await sendS3(target.transport, {
    method: 'POST',
    url: target.url({ uploads: '' }),
    location: target.location,
    headers: { 'content-type': target.contentType },
  })
  const uploadId = xmlText(decoder.decode(created.body), 'UploadId')
  if (!uploadId) {
    throw new StorageError(`S3 CreateMultipartUpload ${target.location}: response has no UploadId`, {
      code: 'BAD_RESPONSE',
      context: { location: target.location },
    })
  }
  try {
    const etags = await uploadParts(target, uploadId, body, size, concurrency)
    await complete(target, uploadId, etags, body.byteLength)
  } catch (error) {
    try {
      await sendS3(target.transport, { method: 'DELETE', url: target.url({ uploadId }), location: target.location, accept: [404] })
    } catch (abortError) {
      if (error instanceof StorageError) {
        error.context.abortError = abortError instanceof Error ? abortError.message : String(abortError)
        error.context.uploadId = uploadId
      }
    }
    throw error
  }
}
