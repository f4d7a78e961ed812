/**
 * An R session: one Rserve connection, i.e. one R process, with its own working directory.
 *
 * Interrupt (DESIGN decision 5): SIGINT to the R pid, then a throw-away eval (an interrupt
 * that lands while R is idle would otherwise fail the next eval), then SIGKILL and a dead
 * session if R does not yield within the grace period. A dead R process makes every pending
 * call reject with `code: 'R_SESSION_DEAD'`.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RNode } from './node';
import { RConnection, type CallOptions, type OobMessage } from './rserve/connection';
import { rCall, rLogical, rString, type Encodable, type RCall } from './rserve/encode';
import { RError, isRError } from './rserve/errors';
import type { RValue } from './rserve/sexp';

export interface RSessionOptions {
  node: RNode;
  /** The session's working directory is made under this directory (e.g. DEPLOYR_DATA_DIR/sessions). */
  baseDir: string;
  /** Runs once after the R process is up and in its working directory (e.g. loads the R runtime). */
  init?: (session: RSession) => Promise<void>;
  /** Runs after each recycle (the global environment is then empty). */
  onRecycle?: (session: RSession) => Promise<void>;
  /** Default timeout of each call in ms (default: none). A timed-out call is interrupted. */
  callTimeout?: number;
  /** How long R may take to yield after SIGINT before it is killed (default 15 000 ms). */
  interruptGrace?: number;
  connectTimeout?: number;
  /** Answers R's `self.oobMessage()` calls. */
  onOobMessage?: (message: OobMessage) => Encodable | Promise<Encodable>;
}

export type RSessionState = 'open' | 'dead' | 'closed';

export type InterruptResult =
  /** Nothing was running: no signal was sent. */
  | 'idle'
  /** R stopped the evaluation and the session is usable, workspace intact. */
  | 'interrupted'
  /** R did not yield in time and was killed: the session is dead. */
  | 'killed';

export interface RSessionEvents {
  oob: [OobMessage];
  /** The R process died (crash, kill, lost connection). */
  dead: [RError];
  /** The session was destroyed on purpose. */
  closed: [];
}

export interface SessionCallOptions extends CallOptions {
  /** Interrupt R when the call times out (default true). */
  interruptOnTimeout?: boolean;
}

/** The R snippet that empties a session for its next user. */
const RECYCLE_CODE = [
  'local({',
  '  while (sink.number() > 0L) sink()',
  '  grDevices::graphics.off()',
  '  rm(list = ls(envir = globalenv(), all.names = TRUE), envir = globalenv())',
  '})',
].join('\n');

const OPEN_CODE =
  'if (!"package:Rserve" %in% search()) suppressWarnings(suppressPackageStartupMessages(' +
  'library(Rserve, quietly = TRUE, logical.return = TRUE))); Sys.getpid()';

interface CallRecord {
  interrupted: boolean;
}

export class RSession extends EventEmitter<RSessionEvents> {
  readonly id: string;
  readonly node: RNode;
  readonly connection: RConnection;
  /** The R process id (read once with `Sys.getpid()`). */
  readonly pid: number;
  /** The session's own working directory (R's `getwd()` after open and after each recycle). */
  readonly workdir: string;
  readonly createdAt = Date.now();
  lastUsedAt = Date.now();
  private currentState: RSessionState = 'open';
  private readonly options: RSessionOptions;
  /** Calls made through this session, oldest first; the head is the one R is running. */
  private readonly calls: CallRecord[] = [];
  private interrupting: Promise<InterruptResult> | null = null;

  private constructor(id: string, options: RSessionOptions, connection: RConnection, pid: number, workdir: string) {
    super();
    this.id = id;
    this.node = options.node;
    this.options = options;
    this.connection = connection;
    this.pid = pid;
    this.workdir = workdir;
    connection.on('oob', (m) => this.emit('oob', m));
    connection.on('close', (err) => {
      if (this.currentState !== 'open') return;
      if (err) {
        this.currentState = 'dead';
        this.emit('dead', err);
      } else {
        this.currentState = 'closed';
        this.emit('closed');
      }
    });
  }

  /** Starts an R process on `options.node`, gives it its working directory and runs `init`. */
  static async open(options: RSessionOptions): Promise<RSession> {
    const id = randomUUID();
    const workdir = path.resolve(options.baseDir, id);
    const node = options.node;
    const connection = await node.connect({
      connectTimeout: options.connectTimeout,
      onOobMessage: options.onOobMessage,
    });
    let session: RSession | null = null;
    try {
      // The pid, read once. Rserve's `self.oobSend()` needs the Rserve package attached: our
      // daemon attaches it at start, an external one may not have.
      const pidValue = await connection.eval(OPEN_CODE, { timeout: 30_000 });
      const pid = pidValue.type === 'integer' ? pidValue.value[0] : null;
      if (typeof pid !== 'number') throw new RError('RSERVE_PROTOCOL', 'Sys.getpid() did not return an integer');
      session = new RSession(id, options, connection, pid, workdir);
      await session.makeWorkdir();
      if (options.init) await options.init(session);
      return session;
    } catch (e) {
      if (session) await session.destroy().catch(() => undefined);
      else connection.destroy();
      throw e;
    }
  }

  get state(): RSessionState {
    return this.currentState;
  }

  get alive(): boolean {
    return this.currentState === 'open';
  }

  /** True while R is evaluating something for this session. */
  get busy(): boolean {
    return this.connection.busy;
  }

  // ---- evaluation ----------------------------------------------------------------------------

  /** Evaluates R code; rejects with R's own message (`R_ERROR`, `R_PARSE_ERROR`) on error. */
  eval(code: string, options: SessionCallOptions = {}): Promise<RValue> {
    return this.track((o) => this.connection.eval(code, o), options);
  }

  voidEval(code: string, options: SessionCallOptions = {}): Promise<void> {
    return this.track((o) => this.connection.voidEval(code, o), options);
  }

  /** Evaluates a call built with `rCall`; its arguments are sent as data. */
  evalCall(call: RCall, options: SessionCallOptions = {}): Promise<RValue> {
    return this.track((o) => this.connection.evalCall(call, o), options);
  }

  /** Binds a value to a name in the global environment. */
  set(name: string, value: Encodable, options: SessionCallOptions = {}): Promise<void> {
    return this.track((o) => this.connection.set(name, value, o), options);
  }

  /** The value bound to `name` in the global environment. */
  get(name: string, options: SessionCallOptions = {}): Promise<RValue> {
    return this.evalCall(rCall('get', rString(name), { name: 'envir', value: rCall('globalenv') }), options);
  }

  /** Reads a file of the R process (relative paths are relative to R's working directory). */
  readFile(file: string, options: SessionCallOptions = {}): Promise<Buffer> {
    return this.track((o) => this.connection.readWholeFile(file, o), options);
  }

  /** Writes a file for the R process (relative paths are relative to R's working directory). */
  writeFile(file: string, data: Buffer, options: SessionCallOptions = {}): Promise<void> {
    return this.track((o) => this.connection.writeWholeFile(file, data, o), options);
  }

  private async track<T>(run: (o: CallOptions) => Promise<T>, options: SessionCallOptions): Promise<T> {
    if (!this.alive) {
      throw new RError(this.currentState === 'dead' ? 'R_SESSION_DEAD' : 'R_SESSION_CLOSED', `R session ${this.id} is ${this.currentState}`);
    }
    const record: CallRecord = { interrupted: false };
    this.calls.push(record);
    this.lastUsedAt = Date.now();
    const timeout = options.timeout ?? this.options.callTimeout;
    try {
      return await run({ timeout, priority: options.priority });
    } catch (e) {
      if (record.interrupted && isRError(e) && (e.code === 'R_ERROR' || e.code === 'R_PARSE_ERROR')) {
        throw new RError('R_INTERRUPTED', 'the R evaluation was interrupted', { cause: e });
      }
      if (isRError(e, 'R_TIMEOUT') && options.interruptOnTimeout !== false && this.alive) {
        void this.interrupt().catch(() => undefined);
      }
      throw e;
    } finally {
      const i = this.calls.indexOf(record);
      if (i >= 0) this.calls.splice(i, 1);
      this.lastUsedAt = Date.now();
    }
  }

  // ---- interrupt -----------------------------------------------------------------------------

  /**
   * Stops the running evaluation. Resolves `idle` when nothing ran, `interrupted` when R
   * yielded (the workspace is intact), `killed` when R had to be killed (the session is dead).
   */
  interrupt(options: { grace?: number } = {}): Promise<InterruptResult> {
    if (!this.alive) return Promise.resolve('killed');
    if (!this.connection.busy) return Promise.resolve('idle');
    if (!this.interrupting) {
      this.interrupting = this.doInterrupt(options.grace ?? this.options.interruptGrace ?? 15_000).finally(() => {
        this.interrupting = null;
      });
    }
    return this.interrupting;
  }

  private async doInterrupt(grace: number): Promise<InterruptResult> {
    if (this.calls.length > 0) this.calls[0].interrupted = true;
    await this.node.signal(this.pid, 'SIGINT');
    // The throw-away eval: it runs as soon as the interrupted call returns and absorbs an
    // interrupt that arrived after R had already finished (Sys.sleep checks for interrupts).
    const yielded = this.connection.voidEval('Sys.sleep(0)', { priority: true }).then(
      () => true,
      (e: unknown) => !isRError(e, 'R_SESSION_DEAD') && !isRError(e, 'R_SESSION_CLOSED'),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), grace);
    });
    const ok = await Promise.race([yielded, timedOut]);
    clearTimeout(timer);
    if (ok && this.alive) return 'interrupted';
    await this.kill(`R process ${this.pid} did not yield to an interrupt within ${grace} ms and was killed`);
    return 'killed';
  }

  /** SIGKILLs the R process; pending calls reject with `R_SESSION_DEAD` at once. */
  async kill(reason = `R process ${this.pid} was killed`): Promise<void> {
    if (this.connection.closed) return;
    await this.node.signal(this.pid, 'SIGKILL').catch(() => undefined);
    if (this.connection.closed) return;
    // Do not wait for R's socket to close: a child R started (system(), a cluster worker) may
    // hold it open long after R itself is gone.
    const closed = new Promise<void>((r) => this.connection.once('close', () => r()));
    this.connection.destroy(new RError('R_SESSION_DEAD', reason));
    await closed;
  }

  // ---- recycle / destroy ---------------------------------------------------------------------

  /**
   * Makes the session like new for its next user: sinks closed, graphics devices off, the
   * global environment emptied, the working directory emptied and R back in it.
   */
  async recycle(options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? 30_000;
    await this.voidEval(RECYCLE_CODE, { timeout });
    await this.makeWorkdir(true);
    if (this.options.onRecycle) await this.options.onRecycle(this);
  }

  /** Ends the R process (killing it if it is busy) and removes the working directory. */
  async destroy(): Promise<void> {
    if (this.currentState === 'closed') return;
    const wasOpen = this.currentState === 'open';
    this.currentState = 'closed';
    if (this.connection.busy) await this.kill();
    if (!this.node.local && !this.connection.closed) {
      // Only R can reach a remote working directory.
      await this.connection
        .voidEvalCall(rCall('unlink', rString(this.workdir), { name: 'recursive', value: rLogical(true) }), { timeout: 10_000 })
        .catch(() => undefined);
    }
    if (this.connection.closed) this.connection.destroy();
    else await this.connection.close();
    if (this.node.local) await fs.rm(this.workdir, { recursive: true, force: true });
    if (wasOpen) this.emit('closed');
  }

  private async makeWorkdir(clear = false): Promise<void> {
    const wd = rString(this.workdir);
    const yes = rLogical(true);
    if (this.node.local) {
      if (clear) await fs.rm(this.workdir, { recursive: true, force: true });
      await fs.mkdir(this.workdir, { recursive: true, mode: 0o700 });
    } else {
      if (clear) await this.connection.voidEvalCall(rCall('unlink', wd, { name: 'recursive', value: yes }));
      await this.connection.voidEvalCall(rCall('dir.create', wd, { name: 'recursive', value: yes }, { name: 'showWarnings', value: rLogical(false) }));
    }
    await this.connection.voidEvalCall(rCall('setwd', wd));
  }
}
