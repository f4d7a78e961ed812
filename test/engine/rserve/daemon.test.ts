/** The Rserve supervisor: configuration, restart after death, stop of the whole process group. */
import fs from 'node:fs';
import { defaultNode } from '../../../server/engine/node';
import type { OobMessage } from '../../../server/engine/rserve/connection';
import { rInt, rString } from '../../../server/engine/rserve/encode';
import { RSession } from '../../../server/engine/session';
import { startTestRserve, type TestRserve } from '../../helpers/rserve';
import { alive, waitFor } from '../../helpers/wait';

describe('RserveDaemon', () => {
  let t: TestRserve;
  beforeAll(async () => {
    t = await startTestRserve();
  });
  afterAll(async () => {
    await t?.stop();
  });

  test('listens on loopback only, with OOB, UTF-8, no remote and no shutdown', () => {
    const conf = fs.readFileSync(t.daemon.configPath, 'utf8');
    for (const line of ['remote disable', 'daemon disable', 'oob enable', 'encoding utf8', 'shutdown disable', `port ${t.daemon.port}`]) {
      expect(conf.split('\n')).toContain(line);
    }
    expect(t.node.host).toBe('127.0.0.1');
    expect(t.daemon.running).toBe(true);
  });

  test('R sessions run with UTF-8 strings', async () => {
    const c = await t.connect();
    expect(await c.eval('nchar("é€😀")')).toEqual(rInt(3));
    await c.close();
  });

  test('is restarted when it dies; sessions already open keep working', async () => {
    const before = await t.connect();
    const pid = t.daemon.pid ?? 0;
    const ready = new Promise((r) => t.daemon.once('ready', r));
    process.kill(pid, 'SIGKILL');
    await ready;
    expect(t.daemon.pid).not.toBe(pid);
    const after = await t.connect();
    expect(await after.eval('1L')).toEqual(rInt(1));
    expect(await before.eval('2L')).toEqual(rInt(2));
    await before.close();
    await after.close();
  });

  test('stop kills the daemon and every R process it forked', async () => {
    const own = await startTestRserve();
    const c = await own.connect();
    const rPid = (await c.eval('Sys.getpid()')) as { value: number[] };
    const daemonPid = own.daemon.pid ?? 0;
    void c.eval('Sys.sleep(60)').catch(() => undefined);
    await own.stop();
    expect(alive(daemonPid)).toBe(false);
    await waitFor(() => !alive(rPid.value[0]));
    expect(own.daemon.running).toBe(false);
  });
});

describe('defaultNode', () => {
  test('RSERVE_HOST/RSERVE_PORT name an external daemon (nothing is started)', async () => {
    const { node, stop } = await defaultNode({ dataDir: '/nonexistent', env: { RSERVE_HOST: '10.1.2.3', RSERVE_PORT: '7000' } });
    expect([node.host, node.port, node.local]).toEqual(['10.1.2.3', 7000, false]);
    await stop();
  });

  test('an external daemon on loopback: sessions work through TCP, interrupts go through R', async () => {
    // A daemon that does not attach the Rserve package, like a stock external Rserve.
    const t = await startTestRserve({ config: { eval: 'invisible(NULL)' } });
    try {
      const { node } = await defaultNode({ dataDir: '/nonexistent', env: { RSERVE_HOST: '127.0.0.1', RSERVE_PORT: String(t.daemon.port) } });
      const s = await RSession.open({ node, baseDir: t.sessionsDir });
      expect(await s.eval('getwd()')).toEqual(rString(s.workdir));
      const oob: OobMessage[] = [];
      s.on('oob', (m) => oob.push(m));
      await s.eval('self.oobSend("hello")');
      expect(oob.map((m) => m.value)).toEqual([rString('hello')]);
      await s.voidEval('kept <- 1L');
      const running = s.eval('Sys.sleep(30)').catch((e: { code?: string }) => e.code);
      await new Promise((r) => setTimeout(r, 200));
      expect(await s.interrupt()).toBe('interrupted');
      expect(await running).toBe('R_INTERRUPTED');
      expect(await s.eval('kept')).toEqual(rInt(1));
      await s.recycle();
      expect(await s.eval('ls()')).toEqual(rString());
      await s.destroy();
      expect(fs.existsSync(s.workdir)).toBe(false);
    } finally {
      await t.stop();
    }
  });
});
