/**
 * Preloaded by bunfig.toml before every test file: end-to-end tests talk to real services (JVMs on a
 * 2-core machine), so the default per-test timeout is raised from bun's 5 s. Unit tests finish far below.
 */
import { setDefaultTimeout } from 'bun:test'

setDefaultTimeout(120_000)
