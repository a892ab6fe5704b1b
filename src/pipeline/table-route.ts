/**
 * Dynamic routing (pure): which table a record goes to when a route names it — by a field of the
 * record (`route.field`) or by its Kafka topic (`route.topicPattern`) — through a name template
 * (`events.$1`), an allow-list pattern and a cap on the tables one route may create. The tables
 * themselves are opened by the pipeline (pipeline.ts); this only decides names and refusals.
 */
import { ConfigError } from '../errors.ts'

/** What one table name may look like: dotted identifiers, as the config's `tables[].name`. */
export const TABLE_NAME = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$/

/** What a field value or captured group may put into a template: no dots, so a value cannot choose the namespace. */
const NAME_PART = /^[A-Za-z0-9_-]+$/

export interface TableRouteRule {
  /** Route by this top-level record field's value (a string). */
  field?: string
  /** Route by the Kafka topic: `$1`…`$9` are its groups. */
  topicPattern?: string
  /** The table name, with `$1` (the field's value, or the pattern's first group) … `$9`. */
  table: string
  /** A full-match pattern every routed table name must satisfy; without it, any name the template makes. */
  allow?: string
  /** Tables this route may create or open per worker; records for more are dead letters. */
  maxTables: number
}

/** A record's route: the table's dotted name, or why it has none (the record becomes a dead letter with it). */
export type RouteDecision = { table: string } | { reason: string }

export class TableRoute {
  readonly rule: TableRouteRule
  readonly #topicPattern: RegExp | undefined
  readonly #allow: RegExp | undefined
  /** The names the template makes: its fixed parts, and a name part for each `$n`. */
  readonly #made: RegExp
  /** Names this route has handed out, to apply maxTables. */
  readonly #names = new Set<string>()

  /** Throws ConfigError (code CONFIG) for an invalid pattern or template. */
  constructor(rule: TableRouteRule) {
    this.rule = rule
    const problems = routeRuleProblems(rule)
    if (problems.length) throw new ConfigError(problems)
    this.#topicPattern = rule.topicPattern === undefined ? undefined : new RegExp(rule.topicPattern)
    this.#allow = rule.allow === undefined ? undefined : new RegExp(`^(?:${rule.allow})$`)
    this.#made = new RegExp(`^${rule.table.replace(/[.*+?^{}()|[\]\\]/g, '\\$&').replace(/\$[1-9]/g, '[A-Za-z0-9_-]+')}$`)
  }

  /** What the route is, for logs and reasons: `field event_type → events.$1`. */
  get label(): string {
    return `${this.rule.field !== undefined ? `field ${this.rule.field}` : `topic ${this.rule.topicPattern}`} → ${this.rule.table}`
  }

  /** The table for a record, by its field (field routes). */
  forRecord(record: unknown): RouteDecision {
    const field = this.rule.field
    if (field === undefined) return { reason: `route ${this.label} routes by topic, not by field` }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return { reason: `route ${this.label}: the record is not a JSON object` }
    const value = (record as Record<string, unknown>)[field]
    if (value === undefined || value === null || value === '') return { reason: `route ${this.label}: the record has no ${field} to route by` }
    if (typeof value !== 'string' && typeof value !== 'number') return { reason: `route ${this.label}: ${field} is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}, not a string` }
    return this.#decide([String(value)], `${field} ${JSON.stringify(String(value))}`)
  }

  /** Whether the route reads this topic (topic routes). */
  matchesTopic(topic: string): boolean {
    return this.#topicPattern?.test(topic) ?? false
  }

  /** The table for a Kafka topic (topic routes). */
  forTopic(topic: string): RouteDecision {
    const match = this.#topicPattern?.exec(topic)
    if (!match) return { reason: `route ${this.label}: topic ${topic} does not match` }
    return this.#decide(match.slice(1), `topic ${topic}`)
  }

  /** Whether `name` is one this route could have made (used to reopen routed tables on WAL replay). */
  produces(name: string): boolean {
    return this.#made.test(name) && (this.#allow?.test(name) ?? true)
  }

  #decide(parts: string[], what: string): RouteDecision {
    const bad = parts.find((part) => part !== undefined && !NAME_PART.test(part))
    if (bad !== undefined) return { reason: `route ${this.label}: ${what} cannot be part of a table name (${JSON.stringify(bad)}: letters, digits, _ and - only)` }
    const table = this.rule.table.replace(/\$([1-9])/g, (_, n: string) => parts[Number(n) - 1] ?? '')
    if (!TABLE_NAME.test(table)) return { reason: `route ${this.label}: ${what} makes ${JSON.stringify(table)}, which is not a namespace.table name` }
    if (this.#allow && !this.#allow.test(table)) return { reason: `route ${this.label}: table ${table} (from ${what}) is not allowed by the route's allow pattern ${this.rule.allow}` }
    if (!this.#names.has(table) && this.#names.size >= this.rule.maxTables) {
      return { reason: `route ${this.label}: table ${table} (from ${what}) would be its table number ${this.#names.size + 1}, over its maxTables of ${this.rule.maxTables}` }
    }
    // Counted when handed out, not when opened: concurrent first records must not overshoot the cap.
    this.#names.add(table)
    return { table }
  }
}

/** A rule's problems, worded for the config (empty when it is valid). */
export function routeRuleProblems(rule: TableRouteRule): string[] {
  const problems: string[] = []
  if ((rule.field === undefined) === (rule.topicPattern === undefined)) problems.push('a route takes exactly one of field or topicPattern')
  for (const [key, pattern] of [['topicPattern', rule.topicPattern], ['allow', rule.allow]] as const) {
    if (pattern === undefined) continue
    try {
      new RegExp(pattern)
    } catch (error) {
      problems.push(`${key} ${JSON.stringify(pattern)} is not a regular expression: ${(error as Error).message}`)
    }
  }
  if (!/\$[1-9]/.test(rule.table)) problems.push(`table ${JSON.stringify(rule.table)} has no $1: every record would go to one table (declare it under tables instead)`)
  else if (!TABLE_NAME.test(rule.table.replace(/\$[1-9]/g, 'x'))) problems.push(`table ${JSON.stringify(rule.table)} does not make namespace.table names (e.g. events.$1)`)
  return problems
}

/** The table for a route's unroutable records: `<template's namespace>.unrouted_dead_letters`, or undefined when the namespace itself is templated. */
export function defaultUnroutedTable(template: string): string | undefined {
  const namespace = template.split('.').slice(0, -1)
  if (!namespace.length || namespace.some((part) => part.includes('$'))) return undefined
  return `${namespace.join('.')}.unrouted_dead_letters`
}
