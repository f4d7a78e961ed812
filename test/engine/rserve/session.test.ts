/** Sessions on a real local Rserve: working directories, interrupt, death, isolation. */
import fs from 'node:fs';
import path from 'node:path';
import { rInt, rString } from '../../../server/engine/rserve/encode';
import { RSession } from '../../../server/engine/session';
import { useRserve } from '../../helpers/rserve';
import { alive, waitFor } from '../../helpers/wait';

const rserve = useRserve();

function open(extra: Partial<Parameters<typeof RSession.open>[0]> = {}): Promise<RSession> {
  return RSession.open({ node: rserve().node, baseDir: rserve().sessionsDir, ...extra });
}

describe('RSession', () => {
  test('opens in its own working directory, knows its pid, removes the directory on destroy', async () => {
    const s = await open();
    expect(s.pid).toBeGreaterThan(1);
    expect(await s.eval('Sys.getpid()')).toEqual(rInt(s.pid));
    expect(await s.eval('getwd()')).toEqual(rString(s.workdir));
    expect(path.dirname(s.workdir)).toBe(rserve().sessionsDir);
    expect(fs.existsSync(s.workdir)).toBe(true);
    await s.destroy();
    expect(s.state).toBe('closed');
    expect(fs.existsSync(s.workdir)).toBe(false);
    await waitFor(() => !alive(s.pid));
  });

  test('runs the init hook once the R process is in its directory', async () => {
    const seen: string[] = [];
    const s = await open({
      init: async (session) => {
        const wd = await session.eval('getwd()');
        seen.push(wd.type === 'string' ? String(wd.value[0]) : '?');
        await session.voidEval('runtimeLoaded <- TRUE');
      },
    });
    expect(seen).toEqual([s.workdir]);
    expect(await s.eval('runtimeLoaded')).toEqual({ type: 'logical', value: [true] });
    await s.destroy();
  });

  test('a failing init fails open and leaves nothing behind', async () => {
    const before = fs.readdirSync(rserve().sessionsDir);
    await expect(open({ init: (session) => session.voidEval('stop("no runtime")') })).rejects.toMatchObject({
      code: 'R_ERROR',
      message: expect.stringMatching(/no runtime/),
    });
    expect(fs.readdirSync(rserve().sessionsDir)).toEqual(before);
  });

  test('recycle empties the workspace and the working directory and switches graphics off', async () => {
    const s = await open();
    await s.voidEval('x <- 1; .hidden <- 2; writeLines("hi", "file.txt"); dir.create("sub"); pdf(NULL); setwd(tempdir())');
    await s.recycle();
    expect(await s.eval('ls(all.names = TRUE)')).toEqual(rString());
    expect(await s.eval('list.files(all.files = TRUE, no.. = TRUE)')).toEqual(rString());
    expect(await s.eval('getwd()')).toEqual(rString(s.workdir));
    expect(await s.eval('dev.cur()')).toMatchObject({ type: 'integer', value: [1] });
    await s.destroy();
  });

  test('20 sessions in parallel without cross-talk', async () => {
    const sessions = await Promise.all(Array.from({ length: 20 }, () => open()));
    expect(new Set(sessions.map((s) => s.pid)).size).toBe(20);
    expect(new Set(sessions.map((s) => s.workdir)).size).toBe(20);
    await Promise.all(sessions.map((s, i) => s.set('mine', rInt(i))));
    const results = await Promise.all(
      sessions.map(async (s, i) => {
        const out = [];
        for (let k = 0; k < 5; k++) {
          out.push(await s.eval(`mine <- mine + 100L; writeLines(as.character(mine), "f.txt"); c(mine, Sys.getpid())`));
        }
        return { i, out, file: fs.readFileSync(path.join(s.workdir, 'f.txt'), 'utf8').trim() };
      }),
    );
    for (const { i, out, file } of results) {
      expect(out[4]).toEqual(rInt(i + 500, sessions[i].pid));
      expect(file).toBe(String(i + 500));
    }
    await Promise.all(sessions.map((s) => s.destroy()));
  });

  test('a session can read and write files in its directory', async () => {
    const s = await open();
    await s.writeFile('in.csv', Buffer.from('a,b\n1,2\n'));
    expect(await s.eval('read.csv("in.csv")$b')).toEqual(rInt(2));
    await s.voidEval('writeLines("out", "out.txt")');
    expect((await s.readFile('out.txt')).toString()).toBe('out\n');
    await s.destroy();
  });
});

describe('interrupt', () => {
  let s: RSession;
  beforeEach(async () => {
    s = await open({ interruptGrace: 20_000 });
    await s.voidEval('before <- "kept"');
  });
  afterEach(async () => {
    await s.destroy();
  });

  async function interruptDuring(code: string, afterMs: number): Promise<void> {
    const running = s.eval(code).then(
      () => 'finished',
      (e: { code?: string }) => e.code,
    );
    await new Promise((r) => setTimeout(r, afterMs));
    expect(s.busy).toBe(true);
    expect(await s.interrupt()).toBe('interrupted');
    expect(await running).toBe('R_INTERRUPTED');
    expect(s.alive).toBe(true);
    // The workspace is intact and the next evals are not poisoned by the signal.
    expect(await s.eval('before')).toEqual(rString('kept'));
    expect(await s.eval('Sys.sleep(0.01); 1L')).toEqual(rInt(1));
  }

  test('of Sys.sleep(30)', async () => {
    const t0 = Date.now();
    await interruptDuring('Sys.sleep(30)', 300);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test('of a tight loop', async () => {
    await interruptDuring('repeat {}', 300);
  });

  test('of heavy BLAS work (R yields between matrix products)', async () => {
    await interruptDuring('m <- matrix(runif(4e6), 2000); for (i in 1:50) m %*% m', 1000);
  }, 60_000);

  test('when idle is a no-op that does not poison the next eval', async () => {
    expect(await s.interrupt()).toBe('idle');
    expect(await s.eval('Sys.sleep(0); before')).toEqual(rString('kept'));
  });

  test('calls queued behind the interrupted one still run', async () => {
    const first = s.eval('Sys.sleep(30)').catch((e: { code?: string }) => e.code);
    const second = s.eval('before');
    await new Promise((r) => setTimeout(r, 200));
    expect(await s.interrupt()).toBe('interrupted');
    expect(await first).toBe('R_INTERRUPTED');
    expect(await second).toEqual(rString('kept'));
  });

  test('R that does not yield within the grace period is killed and the session is dead', async () => {
    // Native code that never checks for interrupts: a C-level sleep via system() of a shell.
    const running = s.eval('system("sleep 30")').catch((e: { code?: string }) => e.code);
    await new Promise((r) => setTimeout(r, 300));
    const dead = new Promise((r) => s.once('dead', r));
    expect(await s.interrupt({ grace: 500 })).toBe('killed');
    expect(await running).toBe('R_SESSION_DEAD');
    await dead;
    expect(s.state).toBe('dead');
    await expect(s.eval('1')).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
  });

  test('a call timeout interrupts R and keeps the session', async () => {
    await expect(s.eval('Sys.sleep(30)', { timeout: 300 })).rejects.toMatchObject({ code: 'R_TIMEOUT' });
    expect(await s.eval('before')).toEqual(rString('kept'));
  });
});

describe('a dead R process', () => {
  test('SIGKILL mid-call rejects the pending calls with R_SESSION_DEAD promptly', async () => {
    const s = await open();
    const running = s.eval('Sys.sleep(30)');
    const queued = s.eval('1');
    const dead = new Promise((r) => s.once('dead', r));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    process.kill(s.pid, 'SIGKILL');
    await expect(running).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
    await expect(queued).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await dead;
    expect(s.state).toBe('dead');
    await expect(s.eval('1')).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
    await s.destroy();
    expect(fs.existsSync(s.workdir)).toBe(false);
  });

  test('R quitting by itself (q()) is a dead session too', async () => {
    const s = await open();
    await expect(s.eval('q("no")')).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
    expect(s.state).toBe('dead');
    await s.destroy();
  });
});
