// `stack down`: stop exactly the processes `up` recorded in pid files, remove stack.env, optionally wipe service data.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { StackConfig } from './config.ts'
import { removeStackEnv } from './env-file.ts'
import { readPidFile, removePidFile, stopProcessGroup } from './processes.ts'
import { stackServices } from './services.ts'
import type { Say } from './up.ts'

/** SIGTERM lets Kafka shut down cleanly and the REST catalog close its SQLite file; SIGKILL after this. */
const GRACE_MS = 15_000

/**
 * Stops every service whose pid file names a live process of ours (SIGTERM to its process group,
 * SIGKILL after {@link GRACE_MS}); never signals anything else. `purge` also deletes Kafka's log
 * dirs, the bucket contents and the catalog database (downloads and the venv stay).
 */
export async function stackDown(config: StackConfig, say: Say, options: { purge: boolean }): Promise<void> {
  removeStackEnv(config)
  await Promise.all(
    stackServices(config).map(async (service) => {
      const pid = readPidFile(service.pidFile)
      if (pid === undefined) {
        say(`${service.name} not running`)
        return
      }
      const outcome = await stopProcessGroup(pid, service.marker, GRACE_MS)
      removePidFile(service.pidFile)
      say(
        outcome === 'not-running'
          ? `${service.name} not running (removed stale pid file for ${pid})`
          : `${service.name} ${outcome === 'stopped' ? 'stopped' : `killed after ${GRACE_MS / 1000}s grace`} (pid ${pid})`,
      )
    }),
  )
  if (options.purge) {
    for (const dir of [join(config.paths.kafka, 'data'), join(config.paths.s3proxy, 'data')]) rmSync(dir, { recursive: true, force: true })
    rmSync(join(config.paths.kafka, 'format.json'), { force: true })
    rmSync(join(config.paths.restCatalog, 'catalog.db'), { force: true })
    say('purged kafka data, bucket contents and catalog database')
  }
}
