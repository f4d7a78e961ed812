/**
 * Repository upload benchmark: the server's peak RSS while a large file (200 MB by default) is
 * uploaded with /r/repository/file/upload and downloaded again with /r/repository/file/download.
 *
 *   npm run build && node dist/bench/repository-upload.js [--mb 200] [--json]
 *
 * The server runs in a child process (the real app on PostgreSQL: DATABASE_URL, else an
 * embedded cluster in a temporary directory) and samples its own RSS every 5 ms; curl is the
 * client, so the client's buffers never count. The file is checked byte for byte (sha256).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';

const args = process.argv.slice(2);
const json = args.includes('--json');
const mbIndex = args.indexOf('--mb');
const MB = mbIndex >= 0 ? Number(args[mbIndex + 1]) : 200;

type ToChild = { cmd: 'reset' } | { cmd: 'peak' } | { cmd: 'stop' };
type FromChild = { port: number; rss: number } | { peak: number; rss: number; heapUsed: number; external: number } | { stopped: true };

// ------------------------------------------------------------------------------- the server

async function serve(databaseUrl: string): Promise<void> {
  const { createDb, migrate } = await import('../server/db/knex');
  const { createApp } = await import('../server/app');
  const { loadConfig } = await import('../server/config');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-bench-data-'));
  const db = createDb(databaseUrl, { min: 0, max: 10 });
  await migrate(db);
  const config = loadConfig({ DEPLOYR_DATA_DIR: dataDir, DEPLOYR_LOG: 'silent', DEPLOYR_MAX_FILE_UPLOAD_SIZE: String((MB + 16) * 1024 * 1024) });
  const app = await createApp({ config, db, databaseUrl, log: () => {} });
  await app.services.users.create({ username: 'bench', password: 'bench-pw' });
  const server = http.createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 5);
  const send = (m: FromChild): boolean => process.send!(m);
  process.on('message', async (m: ToChild) => {
    if (m.cmd === 'reset') {
      global.gc?.();
      peak = process.memoryUsage.rss();
      send({ port: (server.address() as AddressInfo).port, rss: peak });
    } else if (m.cmd === 'peak') {
      sample();
      const mem = process.memoryUsage();
      send({ peak, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external });
    } else {
      clearInterval(timer);
      server.closeAllConnections();
      server.close();
      await app.close();
      await db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
      send({ stopped: true });
      process.exit(0);
    }
  });
  send({ port: (server.address() as AddressInfo).port, rss: process.memoryUsage.rss() });
}

// ------------------------------------------------------------------------------- the driver

function ask<T>(child: ChildProcess, msg: ToChild | undefined): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m: T) => resolve(m));
    if (msg) child.send(msg);
  });
}

function curl(curlArgs: string[]): Promise<{ code: number; out: Buffer }> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-sS', ...curlArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => parts.push(c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out: Buffer.concat(parts) }));
  });
}

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function writeTestFile(file: string, mb: number): Promise<string> {
  const hash = crypto.createHash('sha256');
  const out = fs.createWriteStream(file);
  for (let i = 0; i < mb; i++) {
    const block = crypto.randomBytes(1024 * 1024);
    hash.update(block);
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return hash.digest('hex');
}

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  let base = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  let pgDir: string | undefined;
  if (!base) {
    const { startEmbeddedPostgres } = await import('../server/db/embedded');
    pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-bench-pg-'));
    const pg = await startEmbeddedPostgres(path.join(pgDir, 'pg'));
    base = pg.url;
    stop = () => pg.stop();
  }
  const name = `deployr_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await stop?.();
      if (pgDir) fs.rmSync(pgDir, { recursive: true, force: true });
    },
  };
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-bench-'));
  const db = await database();
  const child = fork(__filename, ['--serve', db.url, '--mb', String(MB)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await ask<{ port: number; rss: number }>(child, undefined);
    const base = `http://127.0.0.1:${port}/deployr`;
    const file = path.join(work, 'upload.bin');
    const sha = await writeTestFile(file, MB);

    const jar = path.join(work, 'cookies');
    const login = await curl(['-c', jar, '-D', '-', '-o', '/dev/null', '-d', 'username=bench&password=bench-pw', `${base}/r/user/login`]);
    const token = /x-xsrf-token:\s*(\S+)/i.exec(login.out.toString())?.[1];
    if (!token) throw new Error('login failed');

    const idle = await ask<{ port: number; rss: number }>(child, { cmd: 'reset' });
    const t0 = Date.now();
    const up = await curl(['-b', jar, '-H', `X-XSRF-TOKEN: ${token}`, '-F', `file=@${file}`, '-F', 'filename=big.bin', `${base}/r/repository/file/upload`]);
    const uploadMs = Date.now() - t0;
    const upBody = JSON.parse(up.out.toString()) as { deployr: { response: { success: boolean; repository?: { file: { sha256: string } } } } };
    if (!upBody.deployr.response.success || upBody.deployr.response.repository?.file.sha256 !== sha) throw new Error(`upload failed: ${up.out.toString().slice(0, 500)}`);
    const afterUpload = await ask<{ peak: number; rss: number }>(child, { cmd: 'peak' });

    await ask(child, { cmd: 'reset' });
    const back = path.join(work, 'download.bin');
    const t1 = Date.now();
    await curl(['-b', jar, '-o', back, `${base}/r/repository/file/download?filename=big.bin&author=bench&directory=root`]);
    const downloadMs = Date.now() - t1;
    const afterDownload = await ask<{ peak: number; rss: number }>(child, { cmd: 'peak' });
    if ((await sha256File(back)) !== sha) throw new Error('downloaded content differs');

    const result = {
      sizeMiB: MB,
      idleRss: idle.rss,
      uploadPeakRss: afterUpload.peak,
      uploadMs,
      uploadMiBps: MB / (uploadMs / 1000),
      downloadPeakRss: afterDownload.peak,
      downloadMs,
      downloadMiBps: MB / (downloadMs / 1000),
      node: process.version,
      cpus: os.cpus().length,
    };
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(`| ${MB} MiB file | server RSS | time | throughput |`);
      console.log('| --- | --- | --- | --- |');
      console.log(`| idle, before | ${mib(result.idleRss)} | | |`);
      console.log(`| upload (peak) | ${mib(result.uploadPeakRss)} | ${(uploadMs / 1000).toFixed(2)} s | ${result.uploadMiBps.toFixed(0)} MiB/s |`);
      console.log(`| download (peak) | ${mib(result.downloadPeakRss)} | ${(downloadMs / 1000).toFixed(2)} s | ${result.downloadMiBps.toFixed(0)} MiB/s |`);
    }
  } finally {
    await ask(child, { cmd: 'stop' }).catch(() => {});
    await db.drop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (args[0] === '--serve') {
  serve(args[1]!).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
