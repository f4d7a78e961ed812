/**
 * Runs a block of R code in a session the DeployR way, with the R runtime (rscripts/runtime.R):
 * console (with or without echo), error and parse error, warnings, unnamed plots and working
 * directory artifacts.
 *
 * The code is always sent as data (an argument of the `.deployr.execute(...)` call), never
 * pasted into R source. An execution is one Rserve round trip: plots are written by R into a
 * results directory outside the working directory (created only when the code plots), and the
 * runtime sends their bytes back in its answer (`readPlots`, so remote nodes work too) and
 * removes that directory itself.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { rCall, rDouble, rLogical, rString, type RCall } from './rserve/encode';
import { RError, isRError } from './rserve/errors';
import type { RValue } from './rserve/sexp';
import type { RSession } from './session';

export interface ExecuteOptions {
  /** false = DeployR echooff */
  echo: boolean;
  /** false = DeployR consoleoff */
  console: boolean;
  /** false = DeployR artifactsoff */
  artifacts: boolean;
  graphics: 'png' | 'svg';
  /** Plot size in pixels (DeployR's default is 480 x 480). */
  width: number;
  height: number;
  /** Also send each expression's console output out of band as list("console", text). */
  consoleEvents?: boolean;
}

export interface PlotResult {
  filename: string;
  /** image/png or image/svg+xml */
  type: string;
  content: Buffer;
  /** hex */
  sha256: string;
}

export interface ArtifactInfo {
  filename: string;
  length: number;
  /** ms since epoch */
  lastmodified: number;
}

export interface ExecutionOutcome {
  console: string;
  error: string | null;
  errorMessage: string | null;
  parseError: boolean;
  warnings: string[];
  plots: PlotResult[];
  artifacts: ArtifactInfo[];
  interrupted: boolean;
  quit: boolean;
  timeStart: number;
  timeCode: number;
}

/** The repository root: the nearest directory above this file holding package.json. */
function repositoryRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '../..');
    dir = parent;
  }
}

/** Path of rscripts/runtime.R, valid both from TypeScript sources and from compiled dist/. */
export const RUNTIME_PATH: string = path.join(repositoryRoot(), 'rscripts', 'runtime.R');

let runtimeSource: Promise<string> | undefined;

function readRuntime(): Promise<string> {
  if (!runtimeSource) {
    runtimeSource = fs.promises.readFile(RUNTIME_PATH, 'utf8');
    runtimeSource.catch(() => (runtimeSource = undefined));
  }
  return runtimeSource;
}

/** The runtime's identity: a hash of its source, recorded in R once it is loaded. */
async function runtimeVersion(): Promise<string> {
  return createHash('sha256').update(await readRuntime()).digest('hex').slice(0, 16);
}

/** R's string literal for a JS string. */
function rLiteral(s: string): string {
  return JSON.stringify(s);
}

/**
 * An Rserve `eval` directive that loads the runtime into the Rserve parent and runs it a few
 * times, so R's JIT has compiled it before any session forks. Without it every new session
 * spends ~0.3 s compiling on its first two executions.
 */
export async function runtimePreloadDirective(): Promise<string> {
  const version = await runtimeVersion();
  const warm = 'file.path(tempdir(), "deployr-warmup")';
  return [
    `source(${rLiteral(RUNTIME_PATH)})`,
    `assign(".deployr.runtimeVersion", ${rLiteral(version)}, envir = as.environment("deployr:runtime"))`,
    `for (i in 1:3) .deployr.execute("x <- 1; print(x)", resultsDir = ${warm})`,
    `unlink(${warm}, recursive = TRUE)`,
    'rm(list = ls(globalenv(), all.names = TRUE), envir = globalenv())',
  ].join('; ');
}

/**
 * Loads the R runtime into a session (use as the pool's `init`), unless the session inherited
 * this very version from the Rserve parent. The source is sent as data, so remote nodes need no
 * copy of our files.
 */
export async function loadRuntime(session: RSession): Promise<void> {
  const version = await runtimeVersion();
  const current = await session.evalCall(rCall('get0', rString('.deployr.runtimeVersion'), { name: 'ifnotfound', value: rString('') }));
  if (current.type === 'string' && current.value[0] === version) return;
  const source = await readRuntime();
  const parsed = rCall('parse', { name: 'text', value: rString(source) }, { name: 'keep.source', value: rLogical(false) });
  await session.evalCall(rCall('invisible', rCall('eval', parsed, { name: 'envir', value: rCall('globalenv') })));
  await session.evalCall(
    rCall('assign', rString('.deployr.runtimeVersion'), rString(version), { name: 'envir', value: rCall('as.environment', rString('deployr:runtime')) }),
  );
}

/**
 * The session's results directory, outside the working directory. R processes forked by one
 * Rserve share the parent's tempdir(), so the name carries the R pid: sessions running at the
 * same time must never write into (or clean up) each other's results.
 */
const RESULTS_DIR: RCall = rCall('file.path', rCall('tempdir'), rCall('paste0', rString('deployr-results-'), rCall('Sys.getpid')));

const MIME: Record<string, string> = { png: 'image/png', svg: 'image/svg+xml' };

/**
 * Runs `code` with the runtime. R errors and parse errors come back in the outcome; an
 * interrupt resolves with `interrupted: true`; a dead R session rejects (R_SESSION_DEAD).
 */
export async function executeCode(session: RSession, code: string, options: ExecuteOptions): Promise<ExecutionOutcome> {
  const call = rCall(
    '.deployr.execute',
    rString(code),
    { name: 'echo', value: rLogical(options.echo) },
    { name: 'console', value: rLogical(options.console) },
    { name: 'artifacts', value: rLogical(options.artifacts) },
    { name: 'graphics', value: rString(options.graphics === 'svg' ? 'svg' : 'png') },
    { name: 'width', value: rDouble(options.width) },
    { name: 'height', value: rDouble(options.height) },
    { name: 'resultsDir', value: RESULTS_DIR },
    { name: 'consoleEvents', value: rLogical(options.consoleEvents === true) },
    { name: 'readPlots', value: rLogical(true) },
  );
  const started = Date.now();
  let result: RValue;
  try {
    result = await session.evalCall(call);
  } catch (e) {
    if (isRError(e, 'R_INTERRUPTED')) {
      // The interrupt landed outside the code itself (in the runtime's own setup or cleanup).
      await removeResults(session);
      return { ...emptyOutcome(started), interrupted: true };
    }
    throw e;
  }
  if (result.type !== 'list') throw new RError('RSERVE_PROTOCOL', `.deployr.execute returned ${result.type}, not a list`);
  const field = fieldsOf(result);

  const plotData = field('plotData');
  const plotContents = plotData.type === 'list' ? plotData.value : [];
  const plots: PlotResult[] = strings(field('plots')).map((filename, i) => {
    const data = plotContents[i];
    if (data?.type !== 'raw') throw new RError('RSERVE_PROTOCOL', `.deployr.execute returned no content for ${filename}`);
    const content = data.value;
    const ext = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
    return {
      filename,
      type: MIME[ext] ?? 'application/octet-stream',
      content,
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  });

  const arts = field('artifacts');
  const artifacts: ArtifactInfo[] = [];
  if (arts.type === 'list') {
    const a = fieldsOf(arts);
    const names = strings(a('name'));
    const sizes = numbers(a('size'));
    const mtimes = numbers(a('mtime'));
    names.forEach((filename, i) => {
      artifacts.push({ filename, length: sizes[i] ?? 0, lastmodified: Math.round(mtimes[i] ?? 0) });
    });
  }

  const error = strings(field('error'))[0] ?? null;
  return {
    console: strings(field('console'))[0] ?? '',
    error,
    errorMessage: strings(field('errorMessage'))[0] ?? null,
    parseError: logical(field('parseError')),
    warnings: strings(field('warnings')),
    plots,
    artifacts,
    interrupted: logical(field('interrupted')),
    quit: logical(field('quit')),
    timeStart: numbers(field('timeStart'))[0] ?? started,
    timeCode: numbers(field('timeCode'))[0] ?? 0,
  };
}

/**
 * Removes the results directory when the runtime could not (an interrupt landed in its own
 * setup or cleanup); an interrupt that lands meanwhile gets one retry.
 */
async function removeResults(session: RSession): Promise<void> {
  const unlink = rCall('unlink', RESULTS_DIR, { name: 'recursive', value: rLogical(true) });
  for (let attempt = 0; ; attempt++) {
    try {
      await session.evalCall(rCall('invisible', unlink));
      return;
    } catch (e) {
      if (attempt === 0 && isRError(e, 'R_INTERRUPTED')) continue;
      if (isRError(e, 'R_ERROR') || isRError(e, 'R_INTERRUPTED')) return;
      throw e;
    }
  }
}

function emptyOutcome(started: number): ExecutionOutcome {
  return {
    console: '',
    error: null,
    errorMessage: null,
    parseError: false,
    warnings: [],
    plots: [],
    artifacts: [],
    interrupted: false,
    quit: false,
    timeStart: started,
    timeCode: Date.now() - started,
  };
}

const NULL_VALUE: RValue = { type: 'null' };

function fieldsOf(list: RValue & { type: 'list' }): (name: string) => RValue {
  const names = list.attributes?.names;
  const keys = names && names.type === 'string' ? names.value : [];
  return (name) => {
    const i = keys.indexOf(name);
    return i >= 0 && i < list.value.length ? list.value[i] : NULL_VALUE;
  };
}

function strings(v: RValue): string[] {
  return v.type === 'string' ? v.value.map((s) => s ?? 'NA') : [];
}

function numbers(v: RValue): number[] {
  if (v.type === 'double') return Array.from(v.value);
  if (v.type === 'integer') return v.value.map((n) => n ?? Number.NaN);
  return [];
}

function logical(v: RValue): boolean {
  return v.type === 'logical' && v.value[0] === true;
}
