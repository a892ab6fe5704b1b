// The stack's long-running services, in the order `status` lists them.
import type { StackConfig } from './config.ts'
import { kafkaService } from './kafka.ts'
import { restCatalogService } from './rest-catalog.ts'
import { s3Service } from './s3proxy.ts'
import { schemaRegistryService } from './schema-registry.ts'
import type { Service } from './service.ts'

export function stackServices(config: StackConfig): Service[] {
  return [kafkaService(config), s3Service(config), restCatalogService(config), schemaRegistryService(config)]
}
