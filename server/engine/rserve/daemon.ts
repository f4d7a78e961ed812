/**
 * Supervises one local Rserve daemon: writes its configuration, starts it on a free loopback
 * port in the foreground (`daemon disable`, so we keep its pid), restarts it when it dies and
 * stops it (its whole process group, i.e. every forked R session too) on shutdown.
 *
 * Each client connection makes Rserve fork a new R process; sessions read that pid with
 * `Sys.getpid()` (see session.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ID_STRING_LENGTH } from './constants';

export interface RserveDaemonOptions {
  /** Directory for the configuration file and Rserve's own per-connection directories. */
  runDir: string;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free port is picked, and kept across restarts when possible). */
  port?: number;
  /** The `R` front end used to launch Rserve with R's environment (default `R` on PATH). */
  rCommand?: string;
  /** The Rserve binary (default: found in R's library). */
  rserveBinary?: string;
  /** Restart the daemon when it dies (default true). */
  restart?: boolean;
  /** Milliseconds to wait for the daemon to accept connections (default 30 000). */
  startTimeout?: number;
  /** Extra or overriding configuration directives, e.g. `{ maxinbuf: '2097152' }`. */
  config?: Record<string, string>;
  /** Receives the daemon's output and supervision messages, line by line. */
  log?: (line: string) => void;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we stopped it. */
  expected: boolean;
}

export interface RserveDaemonEvents {
  /** Accepting connections (again, after a restart). */
  ready: [{ host: string; port: number; pid: number }];
  exit: [DaemonExit];
}

const BINARY_CANDIDATES = [
  '/usr/lib/R/site-library/Rserve/libs/Rserve',
  '/usr/local/lib/R/site-library/Rserve/libs/Rserve',
  '/usr/lib/R/library/Rserve/libs/Rserve',
];

const live = new Set<RserveDaemon>();
let exitHookInstalled = false;

/** Never leave an orphaned Rserve behind when Node exits without calling stop(). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of live) d.killNow();
  });
}

/** Asks the OS for a free TCP port on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when `host:port` greets like Rserve, rejects after `timeout` ms. */
export function waitForRserve(host: string, port: number, timeout: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeout;
  const probe = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.connect({ host, port });
      let got = Buffer.alloc(0);
      const done = (ok: boolean): void => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(2000, () => done(false));
      s.on('error', () => done(false));
      s.on('data', (d) => {
        got = Buffer.concat([got, d]);
        if (got.length >= ID_STRING_LENGTH) done(got.toString('latin1', 0, 4) === 'Rsrv');
      });
      s.on('close', () => resolve(false));
    });
  return new Promise<void>((resolve, reject) => {
    const attempt = async (): Promise<void> => {
      if (!isAlive()) return reject(new Error('Rserve exited during start-up'));
      if (await probe()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`Rserve did not accept connections on ${host}:${port} within ${timeout} ms`));
      setTimeout(() => void attempt(), 50);
    };
    void attempt();
  });
}

/** Where the Rserve binary is: the usual Debian places, else ask R. */
export async function findRserveBinary(rscript = 'Rscript'): Promise<string> {
  for (const c of BINARY_CANDIDATES) if (fs.existsSync(c)) return c;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(rscript, ['-e', 'cat(system.file("libs", "Rserve", package = "Rserve"))'], (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
  });
  if (!out || !fs.existsSync(out)) throw new Error('the Rserve binary was not found (install r-cran-rserve)');
  return out;
}

export class RserveDaemon extends EventEmitter<RserveDaemonEvents> {
  readonly host: string;
  private currentPort: number;
  private readonly options: RserveDaemonOptions;
  private child: ChildProcess | null = null;
  private stopping = false;
  private starting: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay = 200;
  private lastStart = 0;
  private readonly tail: string[] = [];

  constructor(options: RserveDaemonOptions) {
    super();
    this.options = options;
    this.host = options.host ?? '127.0.0.1';
    this.currentPort = options.port ?? 0;
  }

  get port(): number {
    return this.currentPort;
  }

  /** The daemon's pid (the process group leader), or null when it is not running. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get configPath(): string {
    return path.join(this.options.runDir, 'Rserv.conf');
  }

  /** The last lines the daemon printed (for diagnostics). */
  get recentOutput(): string[] {
    return [...this.tail];
  }

  /** Starts the daemon and resolves when it accepts connections. */
  start(): Promise<void> {
    this.stopping = false;
    if (this.running) return Promise.resolve();
    if (!this.starting) {
      this.starting = this.launch().finally(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  /** Stops the daemon and every R process it forked; resolves when it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.starting?.catch(() => undefined);
    const child = this.child;
    if (!child || !this.running) {
      live.delete(this);
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    // Children that ignored SIGTERM (e.g. R stuck in native code) go now.
    this.signalGroup('SIGKILL', child.pid);
    live.delete(this);
  }

  /** Synchronous last-resort kill (used from the process exit hook). */
  killNow(): void {
    this.stopping = true;
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals, pid = this.child?.pid): void {
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  private logLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 50) this.tail.shift();
    this.options.log?.(line);
  }

  private configText(port: number): string {
    const runDir = this.options.runDir;
    const directives: Record<string, string> = {
      port: String(port),
      remote: 'disable',
      daemon: 'disable',
      oob: 'enable',
      encoding: 'utf8',
      shutdown: 'disable',
      fileio: 'enable',
      'workdir': path.join(runDir, 'work'),
      'workdir.clean': 'enable',
      // 1 GB incoming packets (the unit is kB): 10^7 doubles are 80 MB.
      maxinbuf: '1048576',
      // `self.oobSend()` and friends live in the Rserve package; load it once in the parent.
      eval: 'suppressPackageStartupMessages(library(Rserve))',
      ...this.options.config,
    };
    return `${Object.entries(directives)
      .map(([k, v]) => `${k} ${v}`)
      .join('\n')}\n`;
  }

  private async launch(): Promise<void> {
    const autoPort = (this.options.port ?? 0) === 0;
    for (let attempt = 0; ; attempt++) {
      if (this.currentPort === 0) this.currentPort = await freePort(this.host);
      try {
        await this.spawnOnce();
        return;
      } catch (e) {
        if (this.stopping) throw e;
        // Port taken between probing and binding: pick another (only when we chose it).
        if (autoPort && attempt < 3) {
          this.logLine(`rserve: start on port ${this.currentPort} failed (${(e as Error).message}); retrying`);
          this.currentPort = 0;
          continue;
        }
        throw e;
      }
    }
  }

  private async spawnOnce(): Promise<void> {
    const runDir = this.options.runDir;
    fs.mkdirSync(path.join(runDir, 'work'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(this.configPath, this.configText(this.currentPort));
    const binary = this.options.rserveBinary ?? (await findRserveBinary());
    const rCommand = this.options.rCommand ?? 'R';
    const child = spawn(rCommand, ['CMD', binary, '--RS-conf', this.configPath, '--no-save', '--no-restore', '--quiet'], {
      detached: true, // own process group: stop() kills the daemon and every R it forked
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LANG: process.env.LANG ?? 'C.UTF-8' },
    });
    this.child = child;
    live.add(this);
    installExitHook();
    this.lastStart = Date.now();
    const onOutput = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.logLine(`rserve: ${line}`);
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    let spawnError: Error | null = null;
    child.once('error', (e) => {
      spawnError = e;
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    try {
      await waitForRserve(this.host, this.currentPort, this.options.startTimeout ?? 30_000, () => this.child === child && this.running && !spawnError);
    } catch (e) {
      this.signalGroup('SIGKILL', child.pid);
      const detail = spawnError ? `: ${(spawnError as Error).message}` : this.tail.length ? `:\n${this.tail.slice(-10).join('\n')}` : '';
      throw new Error(`${(e as Error).message}${detail}`, { cause: e });
    }
    this.emit('ready', { host: this.host, port: this.currentPort, pid: child.pid ?? -1 });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    const expected = this.stopping;
    this.logLine(`rserve: daemon exited (code ${code}, signal ${signal})${expected ? '' : ' unexpectedly'}`);
    this.emit('exit', { code, signal, expected });
    // A failed start cleans up after itself; only a daemon that was up is restarted here.
    if (!expected && !this.starting) this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopping || this.options.restart === false || this.restartTimer) return;
    if (Date.now() - this.lastStart > 30_000) this.restartDelay = 200;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, 5000);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping || this.running) return;
      this.start().catch((e: Error) => {
        this.logLine(`rserve: restart failed: ${e.message}`);
        this.scheduleRestart();
      });
    }, delay);
  }
}
