/**
 * A pool of pre-started R sessions, so creating a project or a stateless run never waits for
 * an R process to start when an idle one exists.
 *
 * - `min` idle sessions are kept ready; acquiring one starts a replacement in the background.
 * - `max` caps all live sessions (idle, in use, starting, recycling). At the cap, acquire waits
 *   up to `acquireTimeout` for a release, then rejects with `R_POOL_EXHAUSTED`.
 * - release recycles the session (empty workspace and working directory, graphics off) and puts
 *   it back, or destroys it when enough are idle; dead sessions are destroyed and replaced.
 */
import { EventEmitter } from 'node:events';
import type { RNode } from './node';
import { RError } from './rserve/errors';
import { RSession, type RSessionOptions } from './session';

/** What every session of the pool is opened with (see RSessionOptions), plus the pool's own limits. */
export interface SessionPoolOptions extends Omit<RSessionOptions, 'node'> {
  /** The nodes sessions are started on (least loaded first, filtered by cluster). */
  nodes: RNode | RNode[];
  /** Idle sessions kept ready (default 2). */
  min?: number;
  /** Most live sessions in all states (default 64). */
  max?: number;
  /** Most idle sessions kept after release (default: `min`); extra ones are destroyed. */
  maxIdle?: number;
  /** Milliseconds acquire waits at the cap before `R_POOL_EXHAUSTED` (default 0). */
  acquireTimeout?: number;
  log?: (line: string) => void;
}

export interface AcquireOptions {
  /** Only sessions on nodes of this cluster (default: any node). */
  cluster?: string | null;
}

export interface PoolStats {
  idle: number;
  inUse: number;
  starting: number;
  recycling: number;
  total: number;
  max: number;
}

export interface SessionPoolEvents {
  /** A session was started (idle or for a waiting caller). */
  started: [RSession];
  /** A session's R process died; it has been removed and destroyed. */
  dead: [RSession, RError];
}

interface Waiter {
  cluster: string | null | undefined;
  resolve: (s: RSession) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class SessionPool extends EventEmitter<SessionPoolEvents> {
  private readonly nodes: RNode[];
  private readonly min: number;
  private readonly max: number;
  private readonly maxIdle: number;
  private readonly options: SessionPoolOptions;
  private idle: RSession[] = [];
  private readonly inUse = new Set<RSession>();
  private starting = 0;
  private recycling = 0;
  private waiters: Waiter[] = [];
  private closed = false;
  private retryDelay = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly perNode = new Map<RNode, number>();
  /** Starts and destroys running in the background; close() waits for them. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(options: SessionPoolOptions) {
    super();
    this.options = options;
    this.nodes = Array.isArray(options.nodes) ? options.nodes : [options.nodes];
    if (this.nodes.length === 0) throw new Error('SessionPool needs at least one node');
    this.min = Math.max(0, options.min ?? 2);
    this.max = Math.max(1, options.max ?? 64);
    this.maxIdle = Math.max(this.min, options.maxIdle ?? this.min);
  }

  /** Starts `min` sessions and resolves when they are idle (rejects if R cannot start). */
  async start(): Promise<void> {
    const need = Math.min(this.min, this.max) - this.idle.length - this.starting;
    await Promise.all(Array.from({ length: Math.max(0, need) }, () => this.startOne(undefined, true)));
  }

  stats(): PoolStats {
    const idle = this.idle.length;
    const inUse = this.inUse.size;
    return { idle, inUse, starting: this.starting, recycling: this.recycling, total: idle + inUse + this.starting + this.recycling, max: this.max };
  }

  /** A session for exclusive use until `release` or `destroy`. */
  async acquire(options: AcquireOptions = {}): Promise<RSession> {
    if (this.closed) throw new RError('R_SESSION_CLOSED', 'the session pool is closed');
    const i = this.idle.findIndex((s) => s.alive && matches(s.node, options.cluster));
    if (i >= 0) {
      const [session] = this.idle.splice(i, 1);
      this.inUse.add(session);
      this.refill();
      return session;
    }
    if (this.stats().total < this.max) {
      const session = await this.startOne(options.cluster, false);
      this.refill();
      return session;
    }
    const wait = this.options.acquireTimeout ?? 0;
    if (wait <= 0) throw this.exhausted();
    return new Promise<RSession>((resolve, reject) => {
      const waiter: Waiter = { cluster: options.cluster, resolve, reject, timer: null };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.exhausted());
      }, wait);
      this.waiters.push(waiter);
    });
  }

  /** Gives a session back: it is recycled and made idle again, or destroyed. */
  async release(session: RSession): Promise<void> {
    if (!this.inUse.delete(session)) return;
    if (this.closed || !session.alive) {
      await this.discard(session);
      return;
    }
    if (this.idle.length + this.recycling >= this.maxIdle && !this.waiters.some((w) => matches(session.node, w.cluster))) {
      await this.discard(session);
      return;
    }
    this.recycling++;
    try {
      if (session.busy && (await session.interrupt()) === 'killed') throw new Error('killed while busy');
      await session.recycle();
    } catch (e) {
      this.recycling--;
      this.log(`pool: recycle of session ${session.id} failed: ${(e as Error).message}`);
      await this.discard(session);
      return;
    }
    this.recycling--;
    this.offer(session);
  }

  /** Ends a session for good (its R process and working directory). */
  async destroy(session: RSession): Promise<void> {
    this.inUse.delete(session);
    this.idle = this.idle.filter((s) => s !== session);
    await this.discard(session);
  }

  /** Destroys every session and refuses further acquires. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(new RError('R_SESSION_CLOSED', 'the session pool is closed'));
    }
    const all = [...this.idle, ...this.inUse];
    this.idle = [];
    this.inUse.clear();
    await Promise.all(all.map((s) => s.destroy().catch(() => undefined)));
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  // ---- internals -----------------------------------------------------------------------------

  private exhausted(): RError {
    return new RError('R_POOL_EXHAUSTED', `all ${this.max} R sessions are in use`);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private pickNode(cluster: string | null | undefined): RNode {
    const candidates = this.nodes.filter((n) => matches(n, cluster));
    if (candidates.length === 0) throw new RError('R_POOL_EXHAUSTED', `no R node in cluster ${String(cluster)}`);
    let best = candidates[0];
    for (const n of candidates) if ((this.perNode.get(n) ?? 0) < (this.perNode.get(best) ?? 0)) best = n;
    return best;
  }

  private sessionOptions(node: RNode): RSessionOptions {
    const o = this.options;
    return {
      node,
      baseDir: o.baseDir,
      init: o.init,
      onRecycle: o.onRecycle,
      callTimeout: o.callTimeout,
      interruptGrace: o.interruptGrace,
      connectTimeout: o.connectTimeout,
      onOobMessage: o.onOobMessage,
    };
  }

  /** Opens one session; `forIdle` puts it in the idle list, otherwise it is returned in use. */
  private async startOne(cluster: string | null | undefined, forIdle: boolean): Promise<RSession> {
    const node = this.pickNode(cluster);
    this.starting++;
    this.perNode.set(node, (this.perNode.get(node) ?? 0) + 1);
    let session: RSession;
    try {
      session = await RSession.open(this.sessionOptions(node));
    } catch (e) {
      this.starting--;
      this.perNode.set(node, (this.perNode.get(node) ?? 1) - 1);
      throw e;
    }
    this.starting--;
    this.retryDelay = 0;
    session.on('dead', (err) => this.inBackground(this.onDead(session, err)));
    session.once('closed', () => this.perNode.set(node, (this.perNode.get(node) ?? 1) - 1));
    this.emit('started', session);
    if (this.closed) {
      await session.destroy();
      throw new RError('R_SESSION_CLOSED', 'the session pool is closed');
    }
    if (forIdle) this.offer(session);
    else this.inUse.add(session);
    return session;
  }

  /** Hands an idle session to a waiting caller, or keeps it idle. */
  private offer(session: RSession): void {
    const w = this.waiters.find((x) => matches(session.node, x.cluster));
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      if (w.timer) clearTimeout(w.timer);
      this.inUse.add(session);
      w.resolve(session);
      this.refill();
      return;
    }
    if (this.idle.length >= this.maxIdle) {
      // A background start and a release both filled the last idle slot.
      this.inBackground(this.discard(session));
      return;
    }
    this.idle.push(session);
  }

  private async discard(session: RSession): Promise<void> {
    await session.destroy().catch((e: Error) => this.log(`pool: destroy of session ${session.id} failed: ${e.message}`));
    this.refill();
    this.serveWaiters();
  }

  /** Capacity freed: start sessions for callers waiting at the cap. */
  private serveWaiters(): void {
    while (!this.closed && this.waiters.length > 0 && this.stats().total < this.max) {
      const w = this.waiters.shift();
      if (!w) break;
      if (w.timer) clearTimeout(w.timer);
      this.inBackground(this.startOne(w.cluster, false).then(w.resolve, w.reject));
    }
  }

  private async onDead(session: RSession, err: RError): Promise<void> {
    const wasIdle = this.idle.includes(session);
    this.idle = this.idle.filter((s) => s !== session);
    this.inUse.delete(session);
    this.log(`pool: R process ${session.pid} of session ${session.id} died${wasIdle ? ' while idle' : ''}: ${err.message}`);
    this.emit('dead', session, err);
    await this.discard(session);
  }

  /** Tops the idle list up to `min` in the background. */
  private refill(): void {
    if (this.closed || this.retryTimer) return;
    let need = this.min - this.idle.length - this.starting - this.recycling;
    while (need > 0 && this.stats().total < this.max) {
      need--;
      const started = this.startOne(undefined, true).catch((e: Error) => {
        this.log(`pool: starting an R session failed: ${e.message}`);
        // Back off instead of spinning while R cannot start (e.g. the daemon is restarting).
        this.retryDelay = Math.min(Math.max(this.retryDelay * 2, 250), 30_000);
        if (!this.retryTimer && !this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.refill();
          }, this.retryDelay);
        }
      });
      this.inBackground(started);
    }
  }
}

function matches(node: RNode, cluster: string | null | undefined): boolean {
  return cluster === undefined || node.cluster === cluster;
}
