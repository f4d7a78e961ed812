/**
 * The real entry point: `node dist/server/main.js` with no database configured starts the
 * embedded PostgreSQL, creates admin (printing the generated password once), serves the API,
 * stops cleanly on SIGTERM and keeps its data across a restart.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { freePort } from '../../server/db/embedded';
import { createTestDatabase } from '../helpers/db';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../..');
let dataDir: string;

beforeAll(async () => {
  await exec('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-start-'));
}, 180_000);
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Running {
  proc: ChildProcess;
  output: () => string;
  url: string;
}

async function start(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', DEPLOYR_DATA_DIR: dataDir, DEPLOYR_R_POOL_MIN: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return { proc, output: () => out, url: `http://127.0.0.1:${port}` };
}

function stop(r: Running, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    r.proc.removeAllListeners('exit');
    r.proc.on('exit', (code) => resolve(code));
    r.proc.kill(signal);
  });
}

it('starts with nothing configured, stops on SIGTERM, and keeps its data across a restart', async () => {
  const first = await start({});
  const match = /created user 'admin' with password: (\S+)/.exec(first.output());
  expect(match).not.toBeNull();
  const password = match![1];

  const login = await request(first.url).post('/deployr/r/user/login').type('form').send({ username: 'admin', password });
  expect(login.body.deployr.response).toMatchObject({ success: true, user: { username: 'admin', permissions: { administrator: true } } });
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  expect(await stop(first, 'SIGTERM')).toBe(0);
  expect(first.output()).toContain('stopped');

  const second = await start({});
  expect(second.output()).not.toContain('created user');
  // The same password and even the same HTTP session still work: users and sessions are in PostgreSQL.
  const about = await request(second.url).get('/deployr/r/user/about').set('Cookie', cookie);
  expect(about.body.deployr.response).toMatchObject({ success: true, user: { username: 'admin' } });
  const again = await request(second.url).post('/deployr/r/user/login').type('form').send({ username: 'admin', password });
  expect(again.body.deployr.response.success).toBe(true);
  expect(await stop(second, 'SIGINT')).toBe(0);
}, 240_000);

it('applies DEPLOYR_ADMIN_PASSWORD and creates testuser when DEPLOYR_TESTUSER_PASSWORD is set', async () => {
  const r = await start({ DEPLOYR_ADMIN_PASSWORD: 'configured-admin', DEPLOYR_TESTUSER_PASSWORD: 'tpw' });
  const admin = await request(r.url).post('/deployr/r/user/login').type('form').send({ username: 'admin', password: 'configured-admin' });
  expect(admin.body.deployr.response.success).toBe(true);
  const test = await request(r.url).post('/deployr/r/user/login').type('form').send({ username: 'testuser', password: 'tpw' });
  expect(test.body.deployr.response).toMatchObject({ success: true, user: { permissions: { powerUser: true, administrator: false } } });
  expect(await stop(r, 'SIGTERM')).toBe(0);
}, 240_000);

it('finishes an in-flight R execution before stopping on SIGTERM', async () => {
  const r = await start({ DEPLOYR_ADMIN_PASSWORD: 'pw', DEPLOYR_R_POOL_MIN: '1' });
  const agent = request.agent(r.url);
  const login = await agent.post('/deployr/r/user/login').type('form').send({ username: 'admin', password: 'pw' });
  const token = String(login.headers['x-xsrf-token']);
  const created = await agent.post('/deployr/r/project/create').set('X-XSRF-TOKEN', token).type('form').send({});
  const project = created.body.deployr.response.project.project as string;
  const inFlight = agent
    .post('/deployr/r/project/execute/code')
    .set('X-XSRF-TOKEN', token)
    .type('form')
    .send({ project, code: 'Sys.sleep(2); "done"', robjects: 'x' })
    .then((res) => res);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const exited = stop(r, 'SIGTERM');
  const res = await inFlight;
  expect(res.body.deployr.response).toMatchObject({ success: true, execution: { console: expect.stringContaining('"done"') } });
  expect(await exited).toBe(0);
  // Nothing of ours is left running: not PostgreSQL, not Rserve.
  const { stdout } = await exec('ps', ['-eo', 'args']);
  expect(stdout).not.toContain(dataDir);
}, 240_000);

it('uses the PostgreSQL named by DATABASE_URL instead of the embedded one', async () => {
  const database = await createTestDatabase();
  try {
    await database.db.destroy();
    const r = await start({ DATABASE_URL: database.url, DEPLOYR_ADMIN_PASSWORD: 'pw-ext', DEPLOYR_DATA_DIR: `${dataDir}-ext` });
    expect(r.output()).not.toContain('embedded PostgreSQL');
    const login = await request(r.url).post('/deployr/r/user/login').type('form').send({ username: 'admin', password: 'pw-ext' });
    expect(login.body.deployr.response.success).toBe(true);
    expect(await stop(r, 'SIGTERM')).toBe(0);
    // The users live in that database.
    const { Client } = await import('pg');
    const c = new Client({ connectionString: database.url });
    await c.connect();
    const rows = await c.query("select username from users where username = 'admin'");
    await c.end();
    expect(rows.rowCount).toBe(1);
  } finally {
    fs.rmSync(`${dataDir}-ext`, { recursive: true, force: true });
    await database.drop().catch(() => undefined);
  }
}, 240_000);
