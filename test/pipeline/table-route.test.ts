/** Route names (pure): templates, the allow-list, the cap on tables, and the reasons a record gets when it has no route. */
import { describe, expect, test } from 'bun:test'
import { defaultUnroutedTable, routeRuleProblems, TableRoute } from '../../src/pipeline/table-route.ts'

describe('routing by field', () => {
  const route = new TableRoute({ field: 'event_type', table: 'events.$1', allow: 'events\\.(click|view|order)', maxTables: 1000 })

  test('the field value names the table through the template', () => {
    expect(route.forRecord({ event_type: 'click', id: 1 })).toEqual({ table: 'events.click' })
    expect(route.forRecord({ event_type: 'order' })).toEqual({ table: 'events.order' })
  })

  test('a record without the field, with a non-string value, or outside the allow-list is refused with the reason', () => {
    expect(route.forRecord({ id: 1 })).toEqual({ reason: 'route field event_type → events.$1: the record has no event_type to route by' })
    expect(route.forRecord({ event_type: { a: 1 } })).toEqual({ reason: 'route field event_type → events.$1: event_type is an object, not a string' })
    expect(route.forRecord([1])).toEqual({ reason: 'route field event_type → events.$1: the record is not a JSON object' })
    expect(route.forRecord({ event_type: 'refund' })).toEqual({
      reason: 'route field event_type → events.$1: table events.refund (from event_type "refund") is not allowed by the route\'s allow pattern events\\.(click|view|order)',
    })
  })

  test('a value cannot pick another namespace or an invalid name', () => {
    const open = new TableRoute({ field: 't', table: 'events.$1', maxTables: 10 })
    expect(open.forRecord({ t: 'other.secret' })).toEqual({
      reason: 'route field t → events.$1: t "other.secret" cannot be part of a table name ("other.secret": letters, digits, _ and - only)',
    })
    expect(open.forRecord({ t: '9lives' })).toEqual({ reason: 'route field t → events.$1: t "9lives" makes "events.9lives", which is not a namespace.table name' })
  })

  test('maxTables caps distinct names; names already handed out keep working', () => {
    const capped = new TableRoute({ field: 't', table: 'ns.$1', maxTables: 2 })
    expect(capped.forRecord({ t: 'a' })).toEqual({ table: 'ns.a' })
    expect(capped.forRecord({ t: 'b' })).toEqual({ table: 'ns.b' })
    expect(capped.forRecord({ t: 'c' })).toEqual({ reason: 'route field t → ns.$1: table ns.c (from t "c") would be its table number 3, over its maxTables of 2' })
    expect(capped.forRecord({ t: 'a' })).toEqual({ table: 'ns.a' })
  })

  test('produces: which names the route could have made (WAL replay reopens them)', () => {
    expect(route.produces('events.click')).toBe(true)
    expect(route.produces('events.refund')).toBe(false)
    expect(route.produces('other.click')).toBe(false)
  })
})

describe('routing by topic', () => {
  const route = new TableRoute({ topicPattern: '^sensors\\.(.+)$', table: 'raw.$1', maxTables: 1000 })
  test('the pattern\'s group names the table', () => {
    expect(route.matchesTopic('sensors.berlin')).toBe(true)
    expect(route.matchesTopic('orders')).toBe(false)
    expect(route.forTopic('sensors.berlin')).toEqual({ table: 'raw.berlin' })
    expect(route.forTopic('orders')).toEqual({ reason: 'route topic ^sensors\\.(.+)$ → raw.$1: topic orders does not match' })
  })
})

describe('route rules', () => {
  test('problems are named', () => {
    expect(routeRuleProblems({ table: 'events.$1', maxTables: 1 })).toEqual(['a route takes exactly one of field or topicPattern'])
    expect(routeRuleProblems({ field: 'a', topicPattern: 'b', table: 'events.$1', maxTables: 1 })).toEqual(['a route takes exactly one of field or topicPattern'])
    expect(routeRuleProblems({ field: 'a', table: 'events.all', maxTables: 1 })).toEqual(['table "events.all" has no $1: every record would go to one table (declare it under tables instead)'])
    expect(routeRuleProblems({ topicPattern: '(', table: 'raw.$1', maxTables: 1 })[0]).toStartWith('topicPattern "(" is not a regular expression')
    expect(routeRuleProblems({ field: 'a', table: '$1', maxTables: 1 })).toEqual(['table "$1" does not make namespace.table names (e.g. events.$1)'])
  })
  test('the unrouted table defaults beside the template\'s namespace', () => {
    expect(defaultUnroutedTable('events.$1')).toBe('events.unrouted_dead_letters')
    expect(defaultUnroutedTable('$1.events')).toBeUndefined()
  })
})
