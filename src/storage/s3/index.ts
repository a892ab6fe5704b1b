/** The S3 object store: edge-safe (fetch + crypto.subtle only). */
export { createS3Store } from './store.ts'
export { s3OptionsFromProperties, type S3PropertyOptions } from './properties.ts'
export { MIN_PART_SIZE, type S3StoreOptions } from './options.ts'
