/** Statistics file entries of table metadata (spec: "Table Statistics", "Partition Statistics") <-> JSON. */
import type { BlobMetadata, PartitionStatisticsFile, StatisticsFile } from '../types.ts'
import { asArray, asObject, invalid, optString, reqLong, reqString, stringMap } from './read-json.ts'

/** spec "Table Statistics": one statistics file entry. Throws ValidationError naming the bad field. */
export function statisticsFileFromJson(json: unknown, at: string): StatisticsFile {
  const file = asObject(json, at)
  const keyMetadata = optString(file, 'key-metadata', at)
  return {
    'snapshot-id': reqLong(file, 'snapshot-id', at),
    'statistics-path': reqString(file, 'statistics-path', at),
    'file-size-in-bytes': reqLong(file, 'file-size-in-bytes', at),
    'file-footer-size-in-bytes': reqLong(file, 'file-footer-size-in-bytes', at),
    ...(keyMetadata === undefined ? {} : { 'key-metadata': keyMetadata }),
    'blob-metadata': asArray(file['blob-metadata'], `${at}.blob-metadata`).map((b, j): BlobMetadata => {
      const blobAt = `${at}.blob-metadata[${j}]`
      const blob = asObject(b, blobAt)
      const fields = asArray(blob.fields, `${blobAt}.fields`).map((id, k) => {
        if (!Number.isInteger(id)) throw invalid(`${blobAt}.fields[${k}]`, 'a field id', id)
        return id as number
      })
      return {
        type: reqString(blob, 'type', blobAt),
        'snapshot-id': reqLong(blob, 'snapshot-id', blobAt),
        'sequence-number': reqLong(blob, 'sequence-number', blobAt),
        fields,
        ...(blob.properties === undefined || blob.properties === null ? {} : { properties: stringMap(blob.properties, `${blobAt}.properties`) }),
      }
    }),
  }
}

export function statisticsFileToJson(f: StatisticsFile): unknown {
  return {
    'snapshot-id': f['snapshot-id'],
    'statistics-path': f['statistics-path'],
    'file-size-in-bytes': f['file-size-in-bytes'],
    'file-footer-size-in-bytes': f['file-footer-size-in-bytes'],
    ...(f['key-metadata'] === undefined ? {} : { 'key-metadata': f['key-metadata'] }),
    'blob-metadata': f['blob-metadata'].map((b) => ({
      type: b.type,
      'snapshot-id': b['snapshot-id'],
      'sequence-number': b['sequence-number'],
      fields: [...b.fields],
      ...(b.properties === undefined ? {} : { properties: { ...b.properties } }),
    })),
  }
}

/** One partition statistics file entry. Throws ValidationError naming the bad field. */
export function partitionStatisticsFileFromJson(json: unknown, at: string): PartitionStatisticsFile {
  const file = asObject(json, at)
  return { 'snapshot-id': reqLong(file, 'snapshot-id', at), 'statistics-path': reqString(file, 'statistics-path', at), 'file-size-in-bytes': reqLong(file, 'file-size-in-bytes', at) }
}

export function partitionStatisticsFileToJson(f: PartitionStatisticsFile): unknown {
  return { 'snapshot-id': f['snapshot-id'], 'statistics-path': f['statistics-path'], 'file-size-in-bytes': f['file-size-in-bytes'] }
}
