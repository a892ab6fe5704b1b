// The Python venv end-to-end tests use as an independent reader: PyIceberg (REST + S3 + SQL catalog) and fastavro, pinned.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { VERSIONS, type StackConfig } from './config.ts'
import { StackError } from './stack-error.ts'
import { requireTool, runLogged } from './tools.ts'

const REQUIREMENTS = [
  `pyiceberg[pyarrow,sql-sqlite]==${VERSIONS.pyiceberg}`,
  `pyarrow==${VERSIONS.pyarrow}`,
  `fastavro==${VERSIONS.fastavro}`,
]

/** The venv's interpreter (what STACK_PYTHON points at). */
export function venvPython(config: StackConfig): string {
  return join(config.paths.venv, 'bin', 'python')
}

/** True when the venv exists with exactly the pinned requirements installed. */
export function venvReady(config: StackConfig): boolean {
  const stampFile = join(config.paths.venv, '.stack-requirements')
  return existsSync(venvPython(config)) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp()
}

/**
 * Creates `.stack/venv` and installs the pinned packages from PyPI (pip's own cache and config apply).
 * @throws StackError `STACK_TOOL_MISSING` without python3; `STACK_DOWNLOAD` naming the package pip could not install.
 */
export async function createVenv(config: StackConfig, signal: AbortSignal): Promise<void> {
  const python3 = requireTool('python3', 'install Python 3.9+ with the venv module (Debian: apt-get install python3-venv)')
  const logFile = join(config.paths.logs, 'pip.log')
  rmSync(config.paths.venv, { recursive: true, force: true })
  const created = await runLogged([python3, '-m', 'venv', config.paths.venv], { cwd: config.root, logFile, signal })
  if (created.exitCode !== 0) {
    throw new StackError('STACK_PREPARE', `\`python3 -m venv ${config.paths.venv}\` failed (exit ${created.exitCode}): is python3-venv installed? See ${logFile}`, { logFile })
  }
  const python = venvPython(config)
  const installed = await runLogged([python, '-m', 'pip', 'install', '--disable-pip-version-check', ...REQUIREMENTS], {
    cwd: config.root,
    logFile,
    signal,
  })
  if (signal.aborted) throw new StackError('STACK_INTERRUPTED', 'pip install interrupted', { logFile })
  if (installed.exitCode !== 0) {
    const named = /(?:No matching distribution found for|satisfies the requirement) (\S+)/.exec(installed.output)
    throw new StackError(
      'STACK_DOWNLOAD',
      `pip could not install ${named ? named[1] : REQUIREMENTS.join(' ')} (exit ${installed.exitCode}). Check access to PyPI ` +
        `(network, PIP_INDEX_URL or pip.conf); full output in ${logFile}`,
      { logFile },
    )
  }
  // Importing proves the wheels match this interpreter, not just that pip finished.
  const imported = await runLogged([python, '-c', 'import pyiceberg.catalog.rest, pyiceberg.catalog.sql, pyarrow, fastavro'], {
    cwd: config.root,
    logFile: join(config.paths.logs, 'pip-check.log'),
    signal,
  })
  if (imported.exitCode !== 0) {
    throw new StackError('STACK_PREPARE', `the venv's packages do not import: ${imported.output.trim().split('\n').slice(-3).join(' | ')}`, {
      logFile: join(config.paths.logs, 'pip-check.log'),
    })
  }
  writeFileSync(join(config.paths.venv, '.stack-requirements'), stamp())
}

function stamp(): string {
  return `${REQUIREMENTS.join('\n')}\n`
}
