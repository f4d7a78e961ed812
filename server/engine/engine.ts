/**
 * The R engine as the rest of the server sees it: the node(s) and the pool of pre-started
 * sessions with the R runtime loaded. Started lazily on first use so that processes that never
 * run R (admin tools, user-only tests) never start Rserve; `npm start` starts it eagerly.
 */
import path from 'node:path';
import type { Config } from '../config';
import { defaultNode, type RNode } from './node';
import { SessionPool, type AcquireOptions } from './pool';
import type { RSession } from './session';
import { loadRuntime, runtimePreloadDirective } from './execution';
import type { OobMessage } from './rserve/connection';

export interface EngineOptions {
  config: Config;
  log?: (line: string) => void;
  /** Receives R's out-of-band messages (revoEvent, console events) with the session they came from. */
  onOob?: (session: RSession, message: OobMessage) => void;
}

export class Engine {
  private started: Promise<{ pool: SessionPool; stop(): Promise<void> }> | undefined;
  private stopping = false;

  constructor(private readonly options: EngineOptions) {}

  private start(): Promise<{ pool: SessionPool; stop(): Promise<void> }> {
    if (!this.started) {
      this.started = this.boot();
      // A failed start may be retried by the next caller (e.g. R was installed meanwhile).
      this.started.catch(() => (this.started = undefined));
    }
    return this.started;
  }

  private async boot(): Promise<{ pool: SessionPool; stop(): Promise<void> }> {
    const { config, log } = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (config.rserveHost) {
      env.RSERVE_HOST = config.rserveHost;
      env.RSERVE_PORT = String(config.rservePort);
    } else delete env.RSERVE_HOST;
    // A local daemon gets the runtime preloaded and warmed in its parent process: every forked
    // session then starts with it loaded and compiled.
    const preload = `suppressPackageStartupMessages(library(Rserve)); ${await runtimePreloadDirective()}`;
    const node: { node: RNode; stop(): Promise<void> } = await defaultNode({ dataDir: config.dataDir, env, log, config: { eval: preload } });
    const pool = new SessionPool({
      nodes: node.node,
      baseDir: path.join(config.dataDir, 'sessions'),
      min: config.rPoolMin,
      max: config.rPoolMax,
      init: loadRuntime,
      log,
    });
    pool.on('started', (session) => session.on('oob', (message) => this.options.onOob?.(session, message)));
    await pool.start();
    return {
      pool,
      async stop() {
        await pool.close();
        await node.stop();
      },
    };
  }

  /** Starts the node and fills the pool now (the server does this at boot). */
  async warmUp(): Promise<void> {
    await this.start();
  }

  async acquire(options: AcquireOptions = {}): Promise<RSession> {
    if (this.stopping) throw new Error('the R engine is stopping');
    return (await this.start()).pool.acquire(options);
  }

  /** Gives a session back for recycling (or destroys it when dead). */
  async release(session: RSession): Promise<void> {
    if (!this.started) return session.destroy();
    return (await this.started).pool.release(session);
  }

  async destroy(session: RSession): Promise<void> {
    if (!this.started) return session.destroy();
    return (await this.started).pool.destroy(session);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const started = this.started;
    this.started = undefined;
    if (started) await (await started.catch(() => undefined))?.stop();
  }
}
