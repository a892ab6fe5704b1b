/**
 * A tiny Prometheus registry: counters and gauges with labels, rendered in the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Pure, no dependencies, edge-safe.
 */
import { ValidationError } from '../../errors.ts'

export type Labels = Readonly<Record<string, string>>

export interface Counter {
  /** Adds `by` (default 1, must be ≥ 0) to the series for `labels`. Throws ValidationError (VALIDATION). */
  inc(labels?: Labels, by?: number): void
}

export interface Gauge {
  /** Sets the series for `labels`. Throws ValidationError (VALIDATION) when labels do not match the declaration. */
  set(labels: Labels, value: number): void
  set(value: number): void
  /** Adds `by` (default 1; negative allowed). */
  inc(labels?: Labels, by?: number): void
}

export interface MetricOptions {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters conventionally end in `_total`. */
  name: string
  help: string
  /** Label names every series of this metric carries, in output order. */
  labelNames?: readonly string[]
}

export interface MetricsRegistry {
  /** Throws ValidationError (VALIDATION) for an invalid or already registered name, or an invalid label name. */
  counter(options: MetricOptions): Counter
  /** Throws ValidationError (VALIDATION) as `counter` does. */
  gauge(options: MetricOptions): Gauge
  /** All metrics in registration order, series in first-use order; ends with a newline. */
  render(): string
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

interface Family {
  type: 'counter' | 'gauge'
  name: string
  help: string
  labelNames: readonly string[]
  /** Rendered label set (`{a="x",b="y"}` or empty) → value; the rendered text is also the series key. */
  series: Map<string, number>
}

/** Label values escape backslash, double quote and line feed (the format's only escapes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function seriesKey(family: Family, labels: Labels | undefined): string {
  const given = labels === undefined ? [] : Object.keys(labels)
  const expected = family.labelNames
  if (given.length !== expected.length || !expected.every((name) => labels !== undefined && Object.hasOwn(labels, name))) {
    throw new ValidationError(`metric ${family.name} takes labels [${expected.join(', ')}], got [${given.join(', ')}]`, { metric: family.name })
  }
  if (expected.length === 0) return ''
  return `{${expected.map((name) => `${name}="${escapeLabelValue((labels as Labels)[name] as string)}"`).join(',')}}`
}

function add(family: Family, labels: Labels | undefined, by: number): void {
  const key = seriesKey(family, labels)
  family.series.set(key, (family.series.get(key) ?? 0) + by)
}

/** A new, empty registry. */
export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>()
  const register = (type: Family['type'], options: MetricOptions): Family => {
    const labelNames = options.labelNames ?? []
    if (!METRIC_NAME.test(options.name)) throw new ValidationError(`invalid metric name ${JSON.stringify(options.name)}`, { metric: options.name })
    if (families.has(options.name)) throw new ValidationError(`metric ${options.name} is already registered`, { metric: options.name })
    for (const label of labelNames) {
      // `__` prefixes are reserved for Prometheus' own labels.
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new ValidationError(`invalid label name ${JSON.stringify(label)} on ${options.name}`, { metric: options.name })
    }
    if (new Set(labelNames).size !== labelNames.length) throw new ValidationError(`duplicate label name on ${options.name}`, { metric: options.name })
    const family: Family = { type, name: options.name, help: options.help, labelNames, series: new Map() }
    // A metric without labels has exactly one series; show it at 0 from the start so rates work from the first scrape.
    if (labelNames.length === 0) family.series.set('', 0)
    families.set(options.name, family)
    return family
  }
  return {
    counter(options) {
      const family = register('counter', options)
      return {
        inc(labels, by = 1) {
          // Counters only go up: a negative step would read as a reset to every rate() over it.
          if (!(by >= 0)) throw new ValidationError(`counter ${family.name} cannot change by ${by}`, { metric: family.name })
          add(family, labels, by)
        },
      }
    },
    gauge(options) {
      const family = register('gauge', options)
      return {
        set(labelsOrValue: Labels | number, value?: number) {
          const labels = typeof labelsOrValue === 'number' ? undefined : labelsOrValue
          family.series.set(seriesKey(family, labels), typeof labelsOrValue === 'number' ? labelsOrValue : (value ?? 0))
        },
        inc(labels, by = 1) {
          add(family, labels, by)
        },
      }
    },
    render() {
      const lines: string[] = []
      for (const family of families.values()) {
        lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
        for (const [labels, value] of family.series) lines.push(`${family.name}${labels} ${formatValue(value)}`)
      }
      return lines.length === 0 ? '' : `${lines.join('\n')}\n`
    },
  }
}
