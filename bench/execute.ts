/**
 * What the server adds on top of R: the round trip of a trivial execution, layer by layer,
 * in one run against the same Rserve.
 *
 *   npm run bench:execute [-- --runs 500] [-- --json]
 *
 * Layers: a raw Rserve eval on an open connection; the R runtime's execution (console capture,
 * plots, artifacts) on that session; the whole HTTP call /r/project/execute/code, with and
 * without storing the execution in PostgreSQL (`phantom`); /r/project/workspace/get; and, when
 * Debian's r-cran-plumber is installed, the same trivial R call served over HTTP by plumber.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../server/app';
import { loadConfig } from '../server/config';
import { startEmbeddedPostgres, freePort } from '../server/db/embedded';
import { createDb, migrate } from '../server/db/knex';
import { executeCode } from '../server/engine/execution';

const args = process.argv.slice(2);
const json = args.includes('--json');
const runsIndex = args.indexOf('--runs');
const RUNS = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 500;
const WARMUP = Math.max(20, Math.round(RUNS / 10));

interface Row {
  case: string;
  median: number;
  p99: number;
  mean: number;
  runs: number;
  note?: string;
}

function stats(name: string, samples: number[], note?: string): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { case: name, median: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length, runs: samples.length, note };
}

async function measure(name: string, fn: () => Promise<void>, note?: string): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return stats(name, samples, note);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(port: number, method: 'GET' | 'POST', pathAndQuery: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathAndQuery, agent, headers: { ...headers, ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startPlumber(): Promise<{ port: number; proc: ChildProcess } | undefined> {
  const ok = await new Promise<boolean>((resolve) => {
    const p = spawn('Rscript', ['-e', 'quit(status = if (requireNamespace("plumber", quietly = TRUE)) 0 else 1)'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
  if (!ok) return undefined;
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-bench-plumber-'));
  const api = path.join(dir, 'api.R');
  fs.writeFileSync(api, '#* @post /eval\n#* @serializer unboxedJSON\nfunction() { 1 }\n');
  const proc = spawn('Rscript', ['-e', `plumber::pr_run(plumber::pr("${api}"), host = "127.0.0.1", port = ${port}, docs = FALSE, quiet = TRUE)`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await request(port, 'POST', '/eval');
      if (res.status === 200) return { port, proc };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  return undefined;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-bench-exec-'));
  let stopPg: (() => Promise<void>) | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const pg = await startEmbeddedPostgres(path.join(tmp, 'pg'));
    url = pg.url;
    stopPg = pg.stop;
  }
  const db = createDb(url);
  await migrate(db);
  const config = loadConfig({ DEPLOYR_DATA_DIR: path.join(tmp, 'data'), DEPLOYR_LOG: 'silent', DEPLOYR_R_POOL_MIN: '2' });
  const app = await createApp({ config, db, databaseUrl: url, log: () => {} });
  await app.services.users.create({ username: 'bench', password: 'bench-pw' }).catch(() => undefined);
  await app.services.engine.warmUp();
  const server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const login = await request(port, 'POST', '/deployr/r/user/login', {}, 'username=bench&password=bench-pw');
  const auth = { Cookie: String(login.headers['set-cookie']).split(';')[0], 'X-XSRF-TOKEN': String(login.headers['x-xsrf-token']) };
  const created = JSON.parse((await request(port, 'POST', '/deployr/r/project/create', auth, 'format=json')).text);
  const project = created.deployr.response.project.project as string;
  const call = async (p: string, body: string) => {
    const res = await request(port, 'POST', `/deployr${p}`, auth, body);
    if (res.status !== 200 || !res.text.includes('"success":true')) throw new Error(`${p} failed: ${res.status} ${res.text.slice(0, 300)}`);
  };

  const rows: Row[] = [];
  const session = await app.services.engine.acquire();
  rows.push(await measure('Rserve eval `1` (open connection)', async () => void (await session.eval('1'))));
  const opts = { echo: true, console: true, artifacts: true, graphics: 'png' as const, width: 480, height: 480 };
  rows.push(await measure('R runtime execution of `1` (same session)', async () => void (await executeCode(session, '1', opts))));
  await app.services.engine.release(session);

  rows.push(await measure('HTTP /r/project/execute/code `1`', () => call('/r/project/execute/code', `format=json&project=${project}&code=1`), 'execution stored in PostgreSQL'));
  rows.push(await measure('HTTP /r/project/execute/code `1`, phantom', () => call('/r/project/execute/code', `format=json&project=${project}&code=1&phantom=true`), 'nothing stored'));
  await call('/r/project/execute/code', `format=json&project=${project}&code=${encodeURIComponent('x <- rnorm(10)')}`);
  rows.push(await measure('HTTP /r/project/workspace/get `x` (10 doubles)', () => call('/r/project/workspace/get', `format=json&project=${project}&name=x`)));
  rows.push(await measure('HTTP /r/user/about (no R)', () => call('/r/user/about', 'format=json'), 'framework + session store'));

  const plumber = await startPlumber();
  if (plumber) {
    rows.push(await measure('plumber POST /eval returning 1', async () => void (await request(plumber.port, 'POST', '/eval')), 'Debian r-cran-plumber, same machine'));
    plumber.proc.kill();
  } else {
    rows.push({ case: 'plumber', median: NaN, p99: NaN, mean: NaN, runs: 0, note: 'r-cran-plumber not installed (apt-get install r-cran-plumber)' });
  }

  server.closeAllConnections();
  server.close();
  await app.close();
  await db.destroy();
  await stopPg?.();
  fs.rmSync(tmp, { recursive: true, force: true });

  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const fmt = (ms: number) => (Number.isNaN(ms) ? '–' : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
  console.log('| case | median | p99 | mean | runs | note |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.case} | ${fmt(r.median)} | ${fmt(r.p99)} | ${fmt(r.mean)} | ${r.runs} | ${r.note ?? ''} |`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
