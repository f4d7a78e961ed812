/** The session pool on a real local Rserve. */
import fs from 'node:fs';
import { rInt, rString } from '../../../server/engine/rserve/encode';
import { SessionPool } from '../../../server/engine/pool';
import type { RSession } from '../../../server/engine/session';
import { useRserve } from '../../helpers/rserve';
import { waitFor } from '../../helpers/wait';

const rserve = useRserve();

function makePool(extra: Partial<ConstructorParameters<typeof SessionPool>[0]> = {}): SessionPool {
  return new SessionPool({ nodes: rserve().node, baseDir: rserve().sessionsDir, ...extra });
}

describe('SessionPool', () => {
  test('start fills min idle sessions; acquire takes one at once and refills in the background', async () => {
    let inits = 0;
    const pool = makePool({
      min: 2,
      max: 10,
      init: async (s) => {
        inits++;
        await s.voidEval('runtime <- TRUE');
      },
    });
    await pool.start();
    expect(pool.stats()).toMatchObject({ idle: 2, inUse: 0, starting: 0 });
    const t0 = Date.now();
    const s = await pool.acquire();
    expect(Date.now() - t0).toBeLessThan(50); // an idle session, no R start
    expect(pool.stats().inUse).toBe(1);
    expect(await s.eval('runtime')).toEqual({ type: 'logical', value: [true] });
    await waitFor(() => pool.stats().idle === 2);
    expect(inits).toBe(3);
    await pool.close();
  });

  test('release recycles: the next user sees an empty workspace and directory in the same R process', async () => {
    const pool = makePool({ min: 0, maxIdle: 1, max: 4 });
    const a = await pool.acquire();
    await a.voidEval('secret <- "a"; writeLines("a", "a.txt")');
    await pool.release(a);
    expect(pool.stats()).toMatchObject({ idle: 1, inUse: 0 });
    const again = await pool.acquire();
    expect(again.pid).toBe(a.pid);
    expect(await again.eval('exists("secret")')).toEqual({ type: 'logical', value: [false] });
    expect(await again.eval('list.files()')).toEqual(rString());
    expect(await again.eval('getwd()')).toEqual(rString(again.workdir));
    await pool.release(again);
    await pool.close();
  });

  test('max caps the live sessions; a waiter gets the next released session', async () => {
    const pool = makePool({ min: 0, max: 2, acquireTimeout: 5000 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    await expect(makePool({ min: 0, max: 1 }).acquire().then((s) => s.destroy())).resolves.toBeUndefined();
    const waiting = pool.acquire();
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.stats().total).toBe(2);
    await pool.release(a);
    const c = await waiting;
    expect(c.pid).toBe(a.pid);
    await pool.release(b);
    await pool.release(c);
    await pool.close();
  });

  test('at the cap without acquireTimeout: R_POOL_EXHAUSTED', async () => {
    const pool = makePool({ min: 0, max: 1 });
    const a = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'R_POOL_EXHAUSTED' });
    await pool.destroy(a);
    const b = await pool.acquire();
    await pool.close();
    expect(b.state).toBe('closed');
  });

  test('an idle session whose R dies is replaced', async () => {
    const pool = makePool({ min: 2, max: 4 });
    const started: RSession[] = [];
    pool.on('started', (s) => started.push(s));
    await pool.start();
    const victim = started[0];
    const dead = new Promise((r) => pool.once('dead', r));
    process.kill(victim.pid, 'SIGKILL');
    await dead;
    await waitFor(() => pool.stats().idle === 2);
    expect(started.length).toBe(3);
    for (let i = 0; i < 2; i++) {
      const s = await pool.acquire();
      expect(s.pid).not.toBe(victim.pid);
      expect(await s.eval('1L')).toEqual(rInt(1));
    }
    expect(fs.existsSync(victim.workdir)).toBe(false);
    await pool.close();
  });

  test('releasing a busy session interrupts it first; releasing a dead one destroys it', async () => {
    const pool = makePool({ min: 0, max: 4, maxIdle: 2 });
    const a = await pool.acquire();
    void a.eval('Sys.sleep(30)').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await pool.release(a);
    expect(pool.stats().idle).toBe(1);
    const b = await pool.acquire();
    expect(b.pid).toBe(a.pid);
    expect(await b.eval('1L')).toEqual(rInt(1));
    process.kill(b.pid, 'SIGKILL');
    await waitFor(() => b.state !== 'open');
    await pool.release(b);
    expect(pool.stats()).toMatchObject({ idle: 0, inUse: 0 });
    await pool.close();
  });

  test('close destroys idle and in-use sessions and refuses acquires', async () => {
    const pool = makePool({ min: 2, max: 4 });
    await pool.start();
    const s = await pool.acquire();
    await pool.close();
    expect(s.state).toBe('closed');
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'R_SESSION_CLOSED' });
    expect(fs.readdirSync(rserve().sessionsDir)).toEqual([]);
  });
});
