/**
 * Rserve transport benchmark: our QAP1 client against rserve-client 0.3.5, same daemon, same run.
 *
 *   npm run bench:rserve            (prints a Markdown table)
 *   npm run bench:rserve -- --json  (machine-readable)
 *
 * Options: --iterations N (eval round trips, default 5000), --quick (fewer repetitions).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as rserveClient from 'rserve-client';
import { RConnection } from '../server/engine/rserve/connection';
import { RserveDaemon } from '../server/engine/rserve/daemon';

interface Row {
  case: string;
  client: 'ours' | 'rserve-client';
  /** Milliseconds per operation, median. */
  median: number | null;
  p99: number | null;
  runs: number;
  note?: string;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const iterIndex = args.indexOf('--iterations');
const ITERATIONS = iterIndex >= 0 ? Number(args[iterIndex + 1]) : quick ? 1000 : 5000;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function measure(runs: number, op: () => Promise<unknown>, warmup = Math.min(20, runs)): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < warmup; i++) await op();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await op();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

function rcConnect(port: number): Promise<rserveClient.RserveClient> {
  return new Promise((resolve, reject) => {
    rserveClient.connect('127.0.0.1', port, (err, client) => (err ? reject(err) : resolve(client)));
  });
}

function rcEval(client: rserveClient.RserveClient, code: string, timeoutMs = 120_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    client.evaluate(code, (err, result) => {
      clearTimeout(t);
      if (err) reject(err);
      else resolve(result);
    });
  });
}

async function main(): Promise<void> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-bench-rserve-'));
  const daemon = new RserveDaemon({ runDir });
  await daemon.start();
  const rows: Row[] = [];
  const add = (r: Row): void => {
    rows.push(r);
    if (!json) process.stderr.write(`  ${r.client.padEnd(13)} ${r.case}: ${r.median === null ? r.note : `${r.median.toFixed(3)} ms`}\n`);
  };
  try {
    const ours = await RConnection.connect({ port: daemon.port });
    const theirs = await rcConnect(daemon.port);
    const setup = 'x6 <- runif(1e6); x7 <- runif(1e7); invisible(NULL)';
    await ours.voidEval(setup);
    await rcEval(theirs, setup);

    // Connection = a fresh forked R process (connect + greeting + first eval).
    const fresh = await measure(quick ? 50 : 200, async () => {
      const c = await RConnection.connect({ port: daemon.port });
      await c.eval('1');
      c.destroy();
    });
    add({ case: 'new connection (fork) + first eval', client: 'ours', ...fresh, runs: quick ? 50 : 200 });
    const freshRc = await measure(quick ? 50 : 200, async () => {
      const c = await rcConnect(daemon.port);
      await rcEval(c, '1');
      c.end();
    });
    add({ case: 'new connection (fork) + first eval', client: 'rserve-client', ...freshRc, runs: quick ? 50 : 200 });

    add({ case: 'eval `1` round trip', client: 'ours', ...(await measure(ITERATIONS, () => ours.eval('1'))), runs: ITERATIONS });
    add({ case: 'eval `1` round trip', client: 'rserve-client', ...(await measure(ITERATIONS, () => rcEval(theirs, '1'))), runs: ITERATIONS });
    add({ case: 'voidEval `x <- 1` round trip', client: 'ours', ...(await measure(ITERATIONS, () => ours.voidEval('x <- 1'))), runs: ITERATIONS });

    const r6 = quick ? 5 : 20;
    const r7 = quick ? 3 : 10;
    add({ case: '10^6 doubles R→Node', client: 'ours', ...(await measure(r6, () => ours.eval('x6'), 2)), runs: r6 });
    try {
      const m = await measure(quick ? 2 : 5, () => rcEval(theirs, 'x6'), 1);
      add({ case: '10^6 doubles R→Node', client: 'rserve-client', ...m, runs: quick ? 2 : 5 });
    } catch (e) {
      add({ case: '10^6 doubles R→Node', client: 'rserve-client', median: null, p99: null, runs: 0, note: `fails: ${(e as Error).message}` });
    }
    add({ case: '10^7 doubles R→Node', client: 'ours', ...(await measure(r7, () => ours.eval('x7'), 1)), runs: r7 });
    try {
      // 80 MB needs XT_LARGE, which rserve-client does not implement; use a fresh connection
      // because a failed parse leaves its stream out of step.
      const c = await rcConnect(daemon.port);
      await rcEval(c, 'x7 <- runif(1e7); invisible(NULL)');
      const m = await measure(1, () => rcEval(c, 'x7', 60_000), 0);
      add({ case: '10^7 doubles R→Node', client: 'rserve-client', ...m, runs: 1 });
      c.end();
    } catch (e) {
      add({ case: '10^7 doubles R→Node', client: 'rserve-client', median: null, p99: null, runs: 0, note: `fails: ${(e as Error).message}` });
    }

    const v6 = new Float64Array(1e6).map(() => Math.random());
    const v7 = new Float64Array(1e7).map(() => Math.random());
    add({ case: '10^6 doubles Node→R (setSEXP)', client: 'ours', ...(await measure(r6, () => ours.set('y6', { type: 'double', value: v6 }), 2)), runs: r6 });
    add({ case: '10^7 doubles Node→R (setSEXP)', client: 'ours', ...(await measure(r7, () => ours.set('y7', { type: 'double', value: v7 }), 1)), runs: r7 });
    const nodeToR = 'cannot: it only sends code strings (no setSEXP), and a string over 16 MB breaks its 24-bit length field';
    add({ case: '10^6 doubles Node→R (setSEXP)', client: 'rserve-client', median: null, p99: null, runs: 0, note: nodeToR });
    add({ case: '10^7 doubles Node→R (setSEXP)', client: 'rserve-client', median: null, p99: null, runs: 0, note: nodeToR });

    // Concurrency on one connection: rserve-client keeps one handler, so overlapping calls lose answers.
    const overlapping = await Promise.all(Array.from({ length: 10 }, (_, i) => ours.eval(`${i}L`)));
    const oursOk = overlapping.every((v, i) => v.type === 'integer' && v.value[0] === i);
    const rcOverlap = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => rcEval(theirs, `${i}L`, 3000)));
    const rcOk = rcOverlap.filter((r, i) => r.status === 'fulfilled' && (r.value as number) === i).length;
    const rcWrong = rcOverlap.filter((r, i) => r.status === 'fulfilled' && (r.value as number) !== i).length;
    const rcLost = rcOverlap.filter((r) => r.status === 'rejected').length;
    add({ case: '10 overlapping evals on one connection', client: 'ours', median: null, p99: null, runs: 10, note: oursOk ? '10/10 correct' : 'WRONG' });
    add({ case: '10 overlapping evals on one connection', client: 'rserve-client', median: null, p99: null, runs: 10, note: `${rcOk}/10 correct, ${rcWrong} wrong value, ${rcLost} never answered` });

    ours.destroy();
    theirs.end();
  } finally {
    await daemon.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  const env = {
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    date: new Date().toISOString(),
    iterations: ITERATIONS,
  };
  if (json) {
    console.log(JSON.stringify({ env, rows }, null, 2));
    return;
  }
  const fmt = (v: number | null): string => (v === null ? '' : v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(1)} ms`);
  console.log(`\nNode ${env.node}, ${env.cpus}, ${env.date}\n`);
  console.log('| case | client | median | p99 | runs | note |');
  console.log('|---|---|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.case} | ${r.client} | ${fmt(r.median)} | ${fmt(r.p99)} | ${r.runs} | ${r.note ?? ''} |`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
