/**
 * One real Rserve daemon per test file, started by our own supervisor (server/engine/rserve/daemon).
 *
 *   const rserve = useRserve();            // registers beforeAll/afterAll
 *   test('...', async () => { const c = await rserve().connect(); ... });
 *
 * Or start and stop it yourself with `startTestRserve()`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalRserveNode } from '../../server/engine/node';
import type { RConnection } from '../../server/engine/rserve/connection';
import { RserveDaemon, type RserveDaemonOptions } from '../../server/engine/rserve/daemon';

export interface TestRserve {
  daemon: RserveDaemon;
  node: LocalRserveNode;
  /** A fresh temporary directory for this daemon, removed on stop. */
  dir: string;
  /** `dir/sessions`: a base directory for session working directories. */
  sessionsDir: string;
  /** Opens a connection (a new R process). */
  connect(): Promise<RConnection>;
  stop(): Promise<void>;
}

export async function startTestRserve(options: Partial<RserveDaemonOptions> = {}): Promise<TestRserve> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-rserve-test-'));
  const sessionsDir = path.join(dir, 'sessions');
  fs.mkdirSync(sessionsDir, { recursive: true });
  const log: string[] = [];
  const daemon = new RserveDaemon({
    runDir: path.join(dir, 'rserve'),
    log: (line) => {
      log.push(line);
      if (process.env.RSERVE_TEST_LOG) console.log(line);
    },
    ...options,
  });
  await daemon.start();
  const node = new LocalRserveNode(daemon);
  return {
    daemon,
    node,
    dir,
    sessionsDir,
    connect: () => node.connect(),
    stop: async () => {
      await daemon.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a daemon before the file's tests and stops it after them. */
export function useRserve(options: Partial<RserveDaemonOptions> = {}): () => TestRserve {
  let current: TestRserve | null = null;
  beforeAll(async () => {
    current = await startTestRserve(options);
  }, 60_000);
  afterAll(async () => {
    await current?.stop();
    current = null;
  }, 30_000);
  return () => {
    if (!current) throw new Error('the test Rserve is not running (use inside a test)');
    return current;
  };
}
