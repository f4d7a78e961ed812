/**
 * Projects: R sessions owned by users. This issue covers temporary projects (no name): created
 * on a pooled R session, bound to the HTTP session that made them, closed explicitly, at logout,
 * on /r/user/release, or when their HTTP session expires.
 *
 * A live project is held by this process (its R connection); the project row in PostgreSQL is
 * the record that lists it and owns its executions and results.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import type { Config } from '../config';
import * as projects from '../../models/projects';
import type { ProjectView } from '../../models/projects';
import type { Engine } from '../engine/engine';
import type { RSession } from '../engine/session';
import { executeCode, type ExecuteOptions, type ExecutionOutcome } from '../engine/execution';
import { decodeCsvInputs, decodeInputs, InputEncodingError, type DecodedInput } from '../engine/encoding/from-markup';
import { encodeRObject, type EncodedRObject, type MarkupOptions } from '../engine/encoding';
import { isRError, type RError } from '../engine/rserve/errors';
import type { RValue } from '../engine/rserve/sexp';
import { EncodeError, rCall, rLogical, rString, type RCall } from '../engine/rserve/encode';
import { DeployRError } from '../rpc/errors';
import type { ResponsePayload } from '../rpc/envelope';
import type { AuthenticatedUser } from './users';
import type { ResourceReleaser } from './grid';
import { categoryOf, contentTypeOf } from './repository/names';

/** `project` as the API shows it. */
export type ProjectMarkup = {
  project: string;
  name: string | null;
  descr: string | null;
  longdescr: string | null;
  live: boolean;
  shared: boolean;
  cookie: string | null;
  origin: string;
  author: string;
  authors: string[];
  lastmodified: number;
};

export type ResultMarkup = {
  execution: string;
  filename: string;
  length: number;
  type: string;
  sha256: string;
  url: string;
};

export type ArtifactMarkup = {
  filename: string;
  descr: null;
  length: number;
  type: string;
  project: string;
  category: string;
  lastmodified: number;
  url: string;
};

export type ExecutionMarkup = {
  code: string;
  execution: string;
  tag: string | null;
  timeStart: number;
  timeCode: number;
  timeTotal: number;
  actor: string;
  console: string | null;
  resultsAvailable: number;
  resultsGenerated: number;
  results: ResultMarkup[];
  artifacts: ArtifactMarkup[];
  warnings: string[];
  info: string[];
  help: null;
  interrupted: boolean;
};

interface LiveProject {
  id: string;
  ownerId: string;
  httpSession: string | null;
  session: RSession;
  /** Set while an R call runs for this project; a second one is refused (HTTP 409). */
  busy: boolean;
  /** Last use (ms): projects idle past maxIdleLiveProjectTimeout are reclaimed. */
  lastUsed: number;
}

export interface InputParams {
  inputs?: string;
  csvinputs?: string;
}

export interface ExecuteParams extends InputParams, MarkupOptions {
  code: string;
  robjects?: string[];
  tag?: string;
  echooff?: boolean;
  consoleoff?: boolean;
  artifactsoff?: boolean;
  phantom?: boolean;
  graphics?: string;
  graphicswidth?: number;
  graphicsheight?: number;
}

export interface CreateParams extends InputParams {
  projectname?: string;
  projectdescr?: string;
  blackbox?: boolean;
  cluster?: string;
}

const DEFAULT_PLOT_SIZE = 480;

function newId(prefix: 'PROJECT' | 'EXEC'): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** True when a string anywhere in the value (or its attributes) holds NUL, which R strings cannot. */
function holdsNul(value: RValue): boolean {
  const attrs = Object.values(value.attributes ?? {});
  if (attrs.some(holdsNul)) return true;
  switch (value.type) {
    case 'string':
      return value.value.some((s) => s !== null && s.includes('\u0000'));
    case 'list':
      return value.value.some(holdsNul);
    case 'pairlist':
      return value.value.some((e) => holdsNul(e.value));
    default:
      return false;
  }
}

/** Inputs are decoded and checked completely before anything reaches R. */
function decodeAllInputs(params: InputParams): DecodedInput[] {
  let inputs: DecodedInput[];
  try {
    inputs = [...(params.inputs ? decodeInputs(params.inputs) : []), ...(params.csvinputs ? decodeCsvInputs(params.csvinputs) : [])];
  } catch (err) {
    if (err instanceof InputEncodingError) throw new DeployRError(400, `Bad Request: invalid inputs: ${err.message}`);
    throw err;
  }
  const bad = inputs.find((i) => i.name.includes('\u0000') || holdsNul(i.value));
  if (bad) throw new DeployRError(400, `Bad Request: invalid inputs: input "${bad.name.split('\u0000').join('\\0')}" holds a NUL character, which R strings cannot`);
  return inputs;
}

/** What an engine failure means to the client. */
function engineError(err: unknown): unknown {
  // A value R cannot hold (a string with NUL, ...) is the caller's bad data, found before it reached R.
  if (err instanceof EncodeError) return new DeployRError(400, `Bad Request: ${err.message}`);
  if (!isRError(err)) return err;
  const e = err as RError;
  switch (e.code) {
    case 'R_SESSION_DEAD':
    case 'R_SESSION_CLOSED':
    case 'R_TIMEOUT':
      return new DeployRError(916, `Grid Resource Error: R session unresponsive: ${e.message}`);
    case 'R_POOL_EXHAUSTED':
      return new DeployRError(913);
    case 'RSERVE_CONNECT':
      return new DeployRError(915, `Grid Resource Error: grid node unresponsive: ${e.message}`);
    case 'R_ERROR':
    case 'R_PARSE_ERROR':
      return new DeployRError(900, e.message);
    default:
      return new DeployRError(900, e.message);
  }
}

export class ProjectService implements ResourceReleaser {
  private readonly live = new Map<string, LiveProject>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly engine: Engine,
    private readonly config: Config,
    private readonly log: (message: string, err?: unknown) => void,
  ) {}

  /**
   * Once a minute: closes temporary projects whose HTTP session has expired, and reclaims live
   * projects idle longer than maxIdleLiveProjectTimeout.
   */
  startSweeper(intervalMs = 60_000): void {
    this.sweeper = setInterval(() => void this.sweep(), intervalMs);
    this.sweeper.unref();
  }

  async sweep(): Promise<number> {
    try {
      const idleSince = Date.now() - this.config.limits.maxIdleLiveProjectTimeout * 1000;
      const idle = [...this.live.values()].filter((p) => !p.busy && p.lastUsed < idleSince).map((p) => p.id);
      const ids = [...new Set([...(await projects.orphanedTemporaryIds(this.db)), ...idle])];
      for (const id of ids) await this.discard(id);
      return ids.length;
    } catch (err) {
      this.log('project sweep failed', err);
      return 0;
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    // Temporary projects do not outlive the server process that holds their R sessions.
    for (const id of [...this.live.keys()]) await this.discard(id);
  }

  markup(row: ProjectView): ProjectMarkup {
    return {
      project: row.id,
      name: row.name,
      descr: row.descr,
      longdescr: row.longdescr,
      live: this.live.has(row.id),
      shared: row.shared,
      cookie: row.cookie,
      origin: row.origin,
      author: row.author,
      authors: row.authors,
      lastmodified: row.last_modified.getTime(),
    };
  }

  async create(user: AuthenticatedUser, httpSession: string | undefined, params: CreateParams): Promise<ProjectMarkup> {
    if (params.projectname !== undefined) {
      throw new DeployRError(900, 'Persistent (named) projects are not supported by this server yet; omit projectname for a temporary project');
    }
    const liveCount = [...this.live.values()].filter((p) => p.ownerId === user.id).length;
    if (liveCount >= this.config.limits.maxConcurrentLiveProjectCount) throw new DeployRError(910);
    const inputs = decodeAllInputs(params);

    let session: RSession;
    try {
      session = await this.engine.acquire({ cluster: params.cluster });
    } catch (err) {
      throw engineError(err);
    }
    const id = newId('PROJECT');
    try {
      for (const input of inputs) await session.set(input.name, input.value);
      await projects.insert(this.db, {
        id,
        owner_id: user.id,
        name: null,
        descr: null,
        temporary: true,
        blackbox: params.blackbox ?? false,
        http_session: httpSession ?? null,
      });
    } catch (err) {
      await this.engine.destroy(session).catch(() => undefined);
      throw engineError(err);
    }
    this.live.set(id, { id, ownerId: user.id, httpSession: httpSession ?? null, session, busy: false, lastUsed: Date.now() });
    session.once('dead', () => void this.discard(id));
    return this.markup((await projects.find(this.db, id))!);
  }

  async list(user: AuthenticatedUser, opts: { sharedprojectsalso?: boolean; sharedprojectsonly?: boolean; isordered?: boolean }): Promise<ProjectMarkup[]> {
    const rows = await projects.listForUser(this.db, user.id, {
      own: !opts.sharedprojectsonly,
      shared: !!(opts.sharedprojectsalso || opts.sharedprojectsonly),
      mostRecentFirst: !!opts.isordered,
    });
    return rows.map((r) => this.markup(r));
  }

  /** The project, if the user is one of its authors. */
  private async authored(user: AuthenticatedUser, id: string): Promise<ProjectView> {
    const row = await projects.find(this.db, id);
    if (!row || !row.authors.includes(user.username)) {
      throw new DeployRError(900, `Project ${id} not found or not accessible`);
    }
    return row;
  }

  private liveOf(row: ProjectView): LiveProject {
    const live = this.live.get(row.id);
    if (!live || !live.session.alive) throw new DeployRError(900, `Project ${row.id} is not live`);
    live.lastUsed = Date.now();
    return live;
  }

  /** Runs R work for a project, one call at a time (a concurrent call gets HTTP 409). */
  private async withSession<T>(live: LiveProject, work: (session: RSession) => Promise<T>): Promise<T> {
    if (live.busy) throw new DeployRError(409);
    live.busy = true;
    try {
      return await work(live.session);
    } catch (err) {
      if (isRError(err, 'R_SESSION_DEAD')) await this.discard(live.id);
      throw engineError(err);
    } finally {
      live.busy = false;
    }
  }

  async close(user: AuthenticatedUser, id: string): Promise<ProjectMarkup> {
    const row = await this.authored(user, id);
    const live = this.live.get(id);
    if (live?.busy) throw new DeployRError(409);
    const markup = { ...this.markup(row), live: false };
    await this.discard(id);
    return markup;
  }

  /** Releases the R session and, for temporary projects, forgets the project. */
  private async discard(id: string): Promise<void> {
    const live = this.live.get(id);
    this.live.delete(id);
    if (live) {
      if (live.busy) await live.session.interrupt().catch(() => undefined);
      await this.engine.release(live.session).catch((err) => this.log(`releasing the R session of ${id} failed`, err));
    }
    const row = await projects.find(this.db, id);
    if (row?.temporary) await projects.remove(this.db, id);
  }

  async releaseUser(userId: string): Promise<number> {
    const ids = [...this.live.values()].filter((p) => p.ownerId === userId).map((p) => p.id);
    const orphans = (await projects.temporaryIdsForUser(this.db, userId)).filter((id) => !this.live.has(id));
    for (const id of [...ids, ...orphans]) await this.discard(id);
    return ids.length;
  }

  async releaseHttpSession(sessionId: string): Promise<number> {
    const ids = await projects.temporaryIdsForSession(this.db, sessionId);
    for (const id of ids) await this.discard(id);
    return ids.length;
  }

  async execute(user: AuthenticatedUser, id: string, params: ExecuteParams, baseUrl: string): Promise<ResponsePayload> {
    const row = await this.authored(user, id);
    const live = this.liveOf(row);
    const inputs = decodeAllInputs(params);
    const graphics = params.graphics ?? 'png';
    if (graphics !== 'png' && graphics !== 'svg') throw new DeployRError(400, "Bad Request: graphics must be 'png' or 'svg'");
    const options: ExecuteOptions = {
      echo: !params.echooff,
      console: !params.consoleoff,
      artifacts: !params.artifactsoff,
      graphics,
      width: params.graphicswidth ?? DEFAULT_PLOT_SIZE,
      height: params.graphicsheight ?? DEFAULT_PLOT_SIZE,
    };
    const started = Date.now();
    const { outcome, objects } = await this.withSession(live, async (session) => {
      for (const input of inputs) await session.set(input.name, input.value);
      const outcome = await executeCode(session, params.code, options);
      const objects = await this.readObjects(session, params.robjects ?? [], params);
      return { outcome, objects };
    });
    const executionId = newId('EXEC');
    const timeTotal = Date.now() - started;
    let lastModified = row.last_modified;
    if (!params.phantom) {
      lastModified = await projects.insertExecution(
        this.db,
        {
          id: executionId,
          project_id: id,
          actor_id: user.id,
          code: params.code,
          tag: params.tag ?? null,
          console: params.consoleoff ? null : outcome.console,
          time_start: String(Math.round(outcome.timeStart)),
          time_code: Math.round(outcome.timeCode),
          time_total: timeTotal,
          interrupted: outcome.interrupted,
          error: outcome.error,
          warnings: outcome.warnings,
        },
        outcome.plots.map((p) => ({ execution_id: executionId, filename: p.filename, type: p.type, length: p.content.length, sha256: p.sha256, content: p.content })),
      );
    }
    const execution = this.executionMarkup(executionId, user, params, outcome, timeTotal, baseUrl, id, !params.phantom);
    const payload: ResponsePayload = {
      interrupted: outcome.interrupted,
      project: this.markup({ ...row, last_modified: lastModified }),
      execution,
      workspace: { objects: objects as unknown as ResponsePayload[] },
      repository: { files: [] },
    };
    if (outcome.error) throw new DeployRError(900, outcome.error, payload);
    return payload;
  }

  private executionMarkup(
    executionId: string,
    user: AuthenticatedUser,
    params: ExecuteParams,
    outcome: ExecutionOutcome,
    timeTotal: number,
    baseUrl: string,
    projectId: string,
    stored: boolean,
  ): ExecutionMarkup {
    const results = outcome.plots.map((p) => ({
      execution: executionId,
      filename: p.filename,
      length: p.content.length,
      type: p.type,
      sha256: p.sha256,
      url: `${baseUrl}/r/project/execute/result/download/${projectId}/${executionId}/${encodeURIComponent(p.filename)}`,
    }));
    return {
      code: params.code,
      execution: executionId,
      tag: params.tag ?? null,
      timeStart: Math.round(outcome.timeStart),
      timeCode: Math.round(outcome.timeCode),
      timeTotal,
      actor: user.username,
      console: params.consoleoff ? null : outcome.console,
      resultsAvailable: stored ? results.length : 0,
      resultsGenerated: results.length,
      results: stored ? results : [],
      artifacts: outcome.artifacts.map((a) => ({
        filename: a.filename,
        descr: null,
        length: a.length,
        type: contentTypeOf(a.filename),
        project: projectId,
        category: categoryOf(a.filename),
        lastmodified: a.lastmodified,
        url: `${baseUrl}/r/project/directory/download/${projectId}/${encodeURIComponent(a.filename)}`,
      })),
      warnings: outcome.warnings,
      info: [],
      help: null,
      interrupted: outcome.interrupted,
    };
  }

  /** Encodes the named workspace objects; names that do not exist are left out. */
  private async readObjects(session: RSession, names: string[], options: MarkupOptions): Promise<EncodedRObject[]> {
    const out: EncodedRObject[] = [];
    for (const name of names) {
      const exists = await session.evalCall(rExists(name));
      if (exists.type !== 'logical' || exists.value[0] !== true) continue;
      out.push(encodeRObject(name, await session.get(name), options));
    }
    return out;
  }

  async interrupt(user: AuthenticatedUser, id: string): Promise<ProjectMarkup> {
    const row = await this.authored(user, id);
    const live = this.liveOf(row);
    if (live.busy) {
      const result = await live.session.interrupt();
      if (result === 'killed') await this.discard(id);
    }
    return this.markup(row);
  }

  async workspaceGet(user: AuthenticatedUser, id: string, names: string[], options: MarkupOptions): Promise<ResponsePayload> {
    const row = await this.authored(user, id);
    const live = this.liveOf(row);
    const objects = await this.withSession(live, (session) => this.readObjects(session, names, options));
    return { project: this.markup(row), workspace: { objects: objects as unknown as ResponsePayload[] } };
  }

  async workspacePush(user: AuthenticatedUser, id: string, params: InputParams): Promise<ResponsePayload> {
    const row = await this.authored(user, id);
    const live = this.liveOf(row);
    const inputs = decodeAllInputs(params);
    if (inputs.length === 0) throw new DeployRError(400, 'Bad Request: inputs or csvinputs is required');
    await this.withSession(live, async (session) => {
      for (const input of inputs) await session.set(input.name, input.value);
    });
    await projects.touch(this.db, id);
    return { project: this.markup((await projects.find(this.db, id))!) };
  }

  /** One result file, or every result of the project (or of some executions) as a zip. */
  async results(user: AuthenticatedUser, id: string, executionIds: string[], filename: string | undefined): Promise<{ filename: string; type: string; content: Buffer }[]> {
    await this.authored(user, id);
    if (filename) {
      if (executionIds.length !== 1) throw new DeployRError(400, 'Bad Request: filename needs exactly one execution');
      const row = await projects.findResult(this.db, id, executionIds[0], filename);
      if (!row) throw new DeployRError(900, `Result ${filename} not found on execution ${executionIds[0]}`);
      return [{ filename: row.filename, type: row.type, content: row.content }];
    }
    const rows = await projects.resultContents(this.db, id, executionIds);
    return rows.map((r) => ({ filename: `${r.execution_id}/${r.filename}`, type: r.type, content: r.content }));
  }
}

/** exists(name, envir = globalenv(), inherits = FALSE), the name passed as a value. */
function rExists(name: string): RCall {
  return rCall('exists', rString(name), { name: 'envir', value: rCall('globalenv') }, { name: 'inherits', value: rLogical(false) });
}
