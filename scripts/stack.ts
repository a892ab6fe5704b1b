// CLI for the local test stack (Kafka, S3Proxy, Iceberg REST catalog, PyIceberg venv) without Docker: up | down | status | env.
import { existsSync, readFileSync } from 'node:fs'
import { loadStackConfig } from './stack/config.ts'
import { stackDown } from './stack/down.ts'
import { stackStatus } from './stack/status.ts'
import { stackUp } from './stack/up.ts'

const HELP = `usage: bun run stack <command>

commands:
  up            download what is missing (once, into .stack/), start Kafka, S3Proxy and the Iceberg
                REST catalog on 127.0.0.1, create the PyIceberg venv, wait until each answers and
                write .stack/stack.env. Running services are kept, so 'up' twice is fine.
  down [--purge]
                stop the processes 'up' started (from their pid files) and remove .stack/stack.env.
                --purge also deletes Kafka's data, the bucket contents and the catalog database.
  status        show each service as up, sick (running but not answering) or down, at the ports in
                .stack/stack.env (those 'up' started); exit 1 unless all are up and stack.env exists
  env           print .stack/stack.env (exit 1 when the stack is not up)

ports (127.0.0.1), movable with environment variables; run 'down' before changing them:
  STACK_KAFKA_PORT (39092)  STACK_KAFKA_CONTROLLER_PORT (39093)  STACK_S3_PORT (39000)  STACK_REST_PORT (39181)
  STACK_READY_TIMEOUT_S (120) seconds each service may take to answer after it starts

logs: .stack/logs/<service>.log   data: .stack/kafka/data, .stack/s3proxy/data, .stack/rest-catalog/catalog.db
`

function say(line: string): void {
  console.log(`stack: ${line}`)
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP)
    return command === undefined ? 2 : 0
  }
  const unknown = rest.filter((arg) => !(command === 'down' && arg === '--purge'))
  if (unknown.length > 0) {
    console.error(`stack ${command}: unexpected argument ${unknown.join(' ')}; see \`bun run stack --help\``)
    return 2
  }
  const config = loadStackConfig()
  switch (command) {
    case 'up':
      await stackUp(config, say)
      return 0
    case 'down':
      await stackDown(config, say, { purge: rest.includes('--purge') })
      return 0
    case 'status':
      return (await stackStatus(config, say)) ? 0 : 1
    case 'env':
      if (!existsSync(config.paths.envFile)) {
        console.error(`stack env: ${config.paths.envFile} is missing: the stack is not up (run \`bun run stack up\`)`)
        return 1
      }
      process.stdout.write(readFileSync(config.paths.envFile, 'utf8'))
      return 0
    default:
      console.error(`stack: unknown command ${JSON.stringify(command)}; expected up, down, status or env (see --help)`)
      return 2
  }
}

try {
  process.exit(await main(Bun.argv.slice(2)))
} catch (error) {
  const code = (error as { code?: unknown }).code
  console.error(`stack: ${code ? `[${String(code)}] ` : ''}${(error as Error).message ?? String(error)}`)
  process.exit(code === 'STACK_INTERRUPTED' ? 130 : 1)
}
