/**
 * Kafka's retried and failed calls, counted as the `kafka` target of remote-calls.ts (HOST-ONLY).
 * Why the client library's creation channel: @platformatic/kafka retries inside every client
 * (metadata, fetch, commit, produce) and says so only on the client's own events, and the clients
 * are built deep in the Kafka source; its `plt:kafka:instances` diagnostics channel names each
 * client as it is created, so the worker can listen without reaching into the source.
 */
import { findErrorBy, instancesChannel } from '@platformatic/kafka'
import type { RemoteCalls } from './remote-calls.ts'

const CLIENT_TYPES = new Set(['base', 'producer', 'consumer', 'admin'])

interface ClientEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Counts `client:performWithRetry:retry` (an attempt failed, another follows) and `:failed` (given up) of
 * every Kafka client created from now on, until the returned function is called.
 */
export function countKafkaCalls(calls: RemoteCalls): () => void {
  const onCreated = (message: unknown) => {
    const { type, instance } = message as { type: string; instance: ClientEvents }
    if (!CLIENT_TYPES.has(type)) return
    instance.on('client:performWithRetry:retry', (operation, attempt) => calls.retried('kafka', `${String(operation)} attempt ${Number(attempt) + 1} failed`))
    instance.on('client:performWithRetry:failed', (operation, _retries, errors) => {
      const list = Array.isArray(errors) ? (errors as unknown[]) : []
      // MEMBER_ID_REQUIRED, REBALANCE_IN_PROGRESS and the like are the group protocol's own steps (every
      // first join gets one), answered by the client rejoining: not the broker failing.
      if (list.length > 0 && list.every((error) => findErrorBy(error as Error, 'needsRejoin', true) !== null)) return
      const last = list.at(-1)
      calls.failed('kafka', `${String(operation)} failed${last === undefined ? '' : `: ${describe(last)}`}`)
    })
  }
  instancesChannel.subscribe(onCreated)
  return () => void instancesChannel.unsubscribe(onCreated)
}
