/**
 * A server per test file: its own database, its own data directory, the real app listening on
 * a loopback port (so the official client and curl can reach it too).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp, type App } from '../../server/app';
import { loadConfig, type Config } from '../../server/config';
import { createTestDatabase, type TestDatabase } from './db';

export interface TestServer {
  app: App;
  config: Config;
  database: TestDatabase;
  /** `http://127.0.0.1:port` (no base path). */
  origin: string;
  /** `http://127.0.0.1:port/deployr`. */
  url: string;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-test-'));
  const config = loadConfig({ DEPLOYR_DATA_DIR: dataDir, DEPLOYR_LOG: 'silent', ...env });
  // TEST_LOG=1 shows the server's log (internal errors are otherwise only a reference number).
  const log = process.env.TEST_LOG ? (m: string, e?: unknown) => console.error(m, e) : () => {};
  const app = await createApp({ config, db: database.db, databaseUrl: database.url, log });
  const server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    app,
    config,
    database,
    origin,
    url: `${origin}/deployr`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The `response` object of a DeployR envelope. */
export function responseOf(res: { body: unknown }): Record<string, unknown> & { success: boolean; errorCode?: number; error?: string; call: string } {
  const body = res.body as { deployr?: { response?: Record<string, unknown> } };
  if (!body?.deployr?.response) throw new Error(`not a DeployR envelope: ${JSON.stringify(res.body)}`);
  return body.deployr.response as ReturnType<typeof responseOf>;
}

/** A supertest agent (keeps cookies) logged in as the user; returns it with its CSRF token. */
export async function loginAgent(server: TestServer, username: string, password: string): Promise<{ agent: request.Agent; token: string }> {
  const agent = request.agent(server.app.app);
  const res = await agent.post('/deployr/r/user/login').type('form').send({ username, password, format: 'json' });
  const r = responseOf(res);
  if (!r.success) throw new Error(`login failed: ${JSON.stringify(r)}`);
  return { agent, token: String(res.headers['x-xsrf-token']) };
}
