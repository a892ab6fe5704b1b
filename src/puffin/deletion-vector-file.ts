/**
 * Puffin files of deletion vectors, as Iceberg Java's BaseDVFileWriter writes them: one `deletion-vector-v1` blob per
 * data file, with the `referenced-data-file` and `cardinality` properties, snapshot id and sequence number -1
 * (inherited from the manifest entry), computed from the row-position field. Pure.
 */
import { DELETION_VECTOR_BLOB_TYPE, decodeDeletionVector, encodeDeletionVector } from './deletion-vector.ts'
import { PuffinError } from './errors.ts'
import { blobBytes, encodePuffin, readPuffinFooter } from './puffin-file.ts'

/** The reserved `_pos` metadata column a DV is computed from (spec "Reserved Field IDs": Integer.MAX_VALUE - 2), as Java writes it. */
export const ROW_POSITION_FIELD_ID = 2147483645
export const CREATED_BY = 'iceberg-ingest version 0.1.0'

export interface DeletionVectorInput {
  /** The data file's location exactly as its manifest entry spells it. */
  referencedDataFile: string
  /** Deleted positions, ascending and distinct (see sortedPositions). */
  positions: readonly number[]
}

/** What a manifest entry of the DV needs: where its blob lies in the Puffin file and how many rows it deletes. */
export interface WrittenDeletionVector {
  referencedDataFile: string
  contentOffset: number
  contentSizeInBytes: number
  cardinality: number
}

/**
 * The Puffin bytes holding one DV per input, and where each lies.
 * @throws PuffinError `DELETION_VECTOR_INVALID` for bad positions, or two vectors for one data file (the spec allows
 *   one DV per data file in a snapshot).
 */
export function encodeDeletionVectorFile(vectors: readonly DeletionVectorInput[]): { bytes: Uint8Array; vectors: WrittenDeletionVector[] } {
  const seen = new Set<string>()
  for (const v of vectors) {
    if (seen.has(v.referencedDataFile)) throw new PuffinError('DELETION_VECTOR_INVALID', `two deletion vectors for data file ${v.referencedDataFile} in one Puffin file`)
    seen.add(v.referencedDataFile)
  }
  const encoded = encodePuffin(
    vectors.map((v) => ({
      type: DELETION_VECTOR_BLOB_TYPE,
      fields: [ROW_POSITION_FIELD_ID],
      'snapshot-id': -1,
      'sequence-number': -1,
      data: encodeDeletionVector(v.positions),
      properties: { 'referenced-data-file': v.referencedDataFile, cardinality: String(v.positions.length) },
    })),
    { 'created-by': CREATED_BY },
  )
  return {
    bytes: encoded.bytes,
    vectors: vectors.map((v, i) => ({
      referencedDataFile: v.referencedDataFile,
      contentOffset: encoded.blobs[i]!.offset,
      contentSizeInBytes: encoded.blobs[i]!.length,
      cardinality: v.positions.length,
    })),
  }
}

/** Every DV of a whole Puffin file, by referenced data file; blobs of other types are skipped. Throws like its codecs. */
export function decodeDeletionVectorFile(bytes: Uint8Array, location?: string): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const blob of readPuffinFooter(bytes, location).blobs) {
    if (blob.type !== DELETION_VECTOR_BLOB_TYPE) continue
    const referenced = blob.properties?.['referenced-data-file']
    if (referenced === undefined) throw new PuffinError('PUFFIN_INVALID', `${location ?? 'puffin file'}: deletion vector at ${blob.offset} has no referenced-data-file property`)
    out.set(referenced, decodeDeletionVector(blobBytes(bytes, blob)))
  }
  return out
}
