/** A running worker's /health and /metrics as the fault suite reads them. */

export interface Health {
  status: string
  reasons: string[]
}

export async function health(url: string): Promise<Health> {
  const response = await fetch(`${url}/health`)
  const body = (await response.json()) as { status: string; reasons?: string[] }
  return { status: body.status, reasons: body.reasons ?? [] }
}

/** Every sample of `name` in the Prometheus text, by its label set (`target="s3"`); absent series are missing. */
export async function metricSamples(url: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (match && match[1] === name) samples.set(match[2] ?? '', Number(match[3]))
  }
  return samples
}

/** Polls /health until `wanted` (or the deadline), recording every status seen; returns the last. */
export async function waitForHealth(url: string, wanted: string, timeoutMs: number, seen?: Set<string>): Promise<Health> {
  const deadline = Date.now() + timeoutMs
  let last = await health(url)
  while (last.status !== wanted && Date.now() < deadline) {
    seen?.add(last.status)
    await Bun.sleep(250)
    last = await health(url)
  }
  seen?.add(last.status)
  return last
}
