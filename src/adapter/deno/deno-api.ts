/**
 * The few Deno APIs the Deno worker calls, typed here so `tsc` (bun-types) checks these files; each user declares
 * `const Deno: DenoApi` in its own module scope, which shadows, never clashes with, Deno's own global types.
 */

export interface DenoServer {
  readonly addr: { hostname: string; port: number }
  shutdown(): Promise<void>
  readonly finished: Promise<void>
}

export interface DenoApi {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { hostname: string; port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer
  readonly args: string[]
  readonly pid: number
  readTextFile(path: string): Promise<string>
  env: { toObject(): Record<string, string> }
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  exit(code: number): never
}
