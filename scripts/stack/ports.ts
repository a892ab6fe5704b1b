// Loopback ports: is one free to bind, who holds it, does something answer on it.
import { connect, createServer } from 'node:net'
import { StackError } from './stack-error.ts'

export interface ServicePort {
  /** What listens there, e.g. `kafka broker`. */
  label: string
  port: number
  /** Environment variable that moves it, e.g. `STACK_KAFKA_PORT`. */
  envKey: string
}

/**
 * Binds and releases each port on `host` to prove nothing else holds it.
 * @throws StackError `STACK_PORT_TAKEN` naming the service, the port and (when `ss` can tell) the holder.
 */
export async function assertPortsFree(service: string, host: string, ports: ServicePort[]): Promise<void> {
  for (const { label, port, envKey } of ports) {
    const problem = await tryBind(host, port)
    if (problem === undefined) continue
    const holder = portHolder(port)
    throw new StackError(
      'STACK_PORT_TAKEN',
      `${service}: cannot use ${label} port ${host}:${port}: ${problem === 'EADDRINUSE' ? 'it is taken by another process' : problem}` +
        `${holder ? ` (${holder})` : ''}. Stop that process, or move ${service} with ${envKey}=<port>.`,
      { service },
    )
  }
}

function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/** `python3 pid 1234` for the process listening on `port`, from `ss`; undefined when unknown. */
export function portHolder(port: number): string | undefined {
  try {
    const ss = Bun.spawnSync(['ss', '-ltnpH', `sport = :${port}`], { stdout: 'pipe', stderr: 'ignore' })
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout.toString())
    return match ? `${match[1]} pid ${match[2]}` : undefined
  } catch {
    // ss is missing (macOS): the message still names the port.
    return undefined
  }
}

/** Resolves true when a TCP connection to `host:port` opens within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
