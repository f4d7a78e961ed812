/**
 * R nodes: the Rserve hosts sessions run on (the DeployR "grid").
 *
 * The default node is a local Rserve started and supervised by this server. `RSERVE_HOST`
 * (and `RSERVE_PORT`, default 6311) names an external daemon instead. A node may belong to a
 * named cluster; the pool picks nodes by cluster.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { RConnection, type ConnectOptions } from './rserve/connection';
import { RserveDaemon, type RserveDaemonOptions } from './rserve/daemon';

export type RSignal = 'SIGINT' | 'SIGKILL' | 'SIGTERM';

const SIGNAL_NUMBERS: Record<RSignal, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export type NodeConnectOptions = Omit<ConnectOptions, 'host' | 'port'>;

export interface RNode {
  readonly id: string;
  readonly host: string;
  /** The current port (a supervised daemon may move to another port after a restart). */
  readonly port: number;
  /** The cluster this node belongs to, or null for the default group. */
  readonly cluster: string | null;
  /** R processes run on this machine, so they can be signalled and their files touched directly. */
  readonly local: boolean;
  /** Opens a connection, i.e. starts a new R process on the node. */
  connect(options?: NodeConnectOptions): Promise<RConnection>;
  /** Sends a signal to one of the node's R processes. */
  signal(pid: number, signal: RSignal): Promise<void>;
}

export interface RserveNodeOptions {
  host: string;
  port: number | (() => number);
  cluster?: string | null;
  /** Signals go through `process.kill` (default: true for a loopback host). */
  local?: boolean;
  id?: string;
}

/** A node reached over TCP; remote R processes are signalled through `tools::pskill`. */
export class RserveNode implements RNode {
  readonly id: string;
  readonly host: string;
  readonly cluster: string | null;
  readonly local: boolean;
  private readonly portOf: () => number;

  constructor(options: RserveNodeOptions) {
    this.id = options.id ?? `node-${randomUUID()}`;
    this.host = options.host;
    const port = options.port;
    this.portOf = typeof port === 'function' ? port : () => port;
    this.cluster = options.cluster ?? null;
    this.local = options.local ?? ['127.0.0.1', 'localhost', '::1'].includes(options.host);
  }

  get port(): number {
    return this.portOf();
  }

  connect(options: NodeConnectOptions = {}): Promise<RConnection> {
    return RConnection.connect({ ...options, host: this.host, port: this.port });
  }

  async signal(pid: number, signal: RSignal): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`invalid R pid ${pid}`);
    if (this.local) {
      try {
        process.kill(pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
      return;
    }
    // Another R process on the same host delivers the signal.
    const control = await this.connect({ connectTimeout: 5000, callTimeout: 5000 });
    try {
      await control.voidEval(`tools::pskill(${pid}L, ${SIGNAL_NUMBERS[signal]}L)`);
    } finally {
      await control.close();
    }
  }
}

/** The node of a locally supervised Rserve daemon. */
export class LocalRserveNode extends RserveNode {
  readonly daemon: RserveDaemon;

  constructor(daemon: RserveDaemon, options: { cluster?: string | null; id?: string } = {}) {
    super({ host: daemon.host, port: () => daemon.port, cluster: options.cluster, local: true, id: options.id });
    this.daemon = daemon;
  }

  start(): Promise<void> {
    return this.daemon.start();
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}

/** Starts a supervised local Rserve and returns its node. */
export async function startLocalNode(
  options: RserveDaemonOptions & { cluster?: string | null; id?: string },
): Promise<LocalRserveNode> {
  const node = new LocalRserveNode(new RserveDaemon(options), options);
  await node.start();
  return node;
}

export interface DefaultNodeOptions {
  /** Extra Rserve directives for a local daemon (e.g. an `eval` that preloads R code). */
  config?: Record<string, string>;
  /** The server's data directory (DEPLOYR_DATA_DIR); the local daemon keeps its files in `rserve/` under it. */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/**
 * The node the server uses by default: the external Rserve named by `RSERVE_HOST`/`RSERVE_PORT`,
 * or a local daemon started now. `stop()` stops the local daemon (and is a no-op otherwise).
 */
export async function defaultNode(options: DefaultNodeOptions): Promise<{ node: RNode; stop(): Promise<void> }> {
  const env = options.env ?? process.env;
  if (env.RSERVE_HOST) {
    const port = Number(env.RSERVE_PORT ?? 6311);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid RSERVE_PORT ${env.RSERVE_PORT}`);
    // An external daemon is signalled through R even on loopback: it may live in another pid namespace.
    const node = new RserveNode({ host: env.RSERVE_HOST, port, local: false });
    return { node, stop: async () => undefined };
  }
  const node = await startLocalNode({ runDir: path.join(options.dataDir, 'rserve'), log: options.log, config: options.config });
  return { node, stop: () => node.stop() };
}
