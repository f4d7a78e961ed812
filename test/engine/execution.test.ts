/** executeCode against a real Rserve with the R runtime loaded. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RUNTIME_PATH, executeCode, loadRuntime, type ExecuteOptions } from '../../server/engine/execution';
import { rString } from '../../server/engine/rserve/encode';
import { RSession } from '../../server/engine/session';
import { useRserve } from '../helpers/rserve';

const rserve = useRserve();

const DEFAULTS: ExecuteOptions = { echo: true, console: true, artifacts: true, graphics: 'png', width: 480, height: 480 };

function open(extra: Partial<Parameters<typeof RSession.open>[0]> = {}): Promise<RSession> {
  return RSession.open({ node: rserve().node, baseDir: rserve().sessionsDir, init: loadRuntime, ...extra });
}

async function resultsDirOf(s: RSession): Promise<string> {
  const v = await s.eval('file.path(tempdir(), "deployr-results")');
  return v.type === 'string' ? String(v.value[0]) : '';
}

test('RUNTIME_PATH points at rscripts/runtime.R', () => {
  expect(RUNTIME_PATH).toBe(path.resolve(__dirname, '../../rscripts/runtime.R'));
  expect(fs.existsSync(RUNTIME_PATH)).toBe(true);
});

describe('executeCode', () => {
  let s: RSession;
  beforeAll(async () => {
    s = await open();
  }, 30_000);
  afterAll(async () => {
    await s.destroy();
  });

  test('loadRuntime is idempotent and keeps the global environment clean', async () => {
    await loadRuntime(s);
    await loadRuntime(s);
    expect(await s.eval('search()[2]')).toEqual(rString('deployr:runtime'));
    const out = await executeCode(s, 'ls()', DEFAULTS);
    expect(out.console).toBe('\n> ls()\ncharacter(0)\n');
  });

  test('console with and without echo, consoleoff', async () => {
    const code = 'x <- 1:3\nprint(sum(x))\ncat("hi\\n")';
    const echo = await executeCode(s, code, DEFAULTS);
    expect(echo.console).toBe('\n> x <- 1:3\n\n> print(sum(x))\n[1] 6\n\n> cat("hi\\n")\nhi\n');
    expect(echo.error).toBeNull();
    expect(echo.parseError).toBe(false);
    expect(echo.interrupted).toBe(false);
    expect(echo.timeStart).toBeGreaterThan(Date.now() - 60_000);
    expect(echo.timeCode).toBeGreaterThanOrEqual(0);
    const noEcho = await executeCode(s, code, { ...DEFAULTS, echo: false });
    expect(noEcho.console).toBe('[1] 6\nhi\n');
    const off = await executeCode(s, code, { ...DEFAULTS, console: false });
    expect(off.console).toBe('');
    expect(await s.eval('x')).toEqual({ type: 'integer', value: [1, 2, 3] });
  });

  test('an R error is an outcome, not a rejection', async () => {
    const out = await executeCode(s, 'a <- 1\nstop("boom")\nb <- 2', { ...DEFAULTS, echo: false });
    expect(out.error).toBe('Error: boom');
    expect(out.errorMessage).toBe('boom');
    expect(out.parseError).toBe(false);
    expect(out.console).toBe('Error: boom\n');
    const f = await executeCode(s, 'f <- function() stop("bad")\nf()', { ...DEFAULTS, echo: false });
    expect(f.error).toBe('Error in f() : bad');
    expect(s.alive).toBe(true);
  });

  test('a parse error', async () => {
    const out = await executeCode(s, 'x <- (1 + ', DEFAULTS);
    expect(out.parseError).toBe(true);
    expect(out.error).toMatch(/^Error: /);
    expect(out.errorMessage).toMatch(/unexpected end of input/);
  });

  test('warnings', async () => {
    const out = await executeCode(s, 'warning("w1")\nf <- function() warning("w2")\nf()', { ...DEFAULTS, echo: false });
    expect(out.warnings).toEqual(['w1', 'In f() : w2']);
    expect(out.console).toBe('Warning message:\nw1\nWarning message:\nIn f() : w2\n');
    expect(out.error).toBeNull();
  });

  test('png plots: names, content, size; the results directory is cleaned', async () => {
    const out = await executeCode(s, 'plot(1:10)\nhist(rnorm(100))', { ...DEFAULTS, width: 640, height: 320 });
    expect(out.plots.map((p) => p.filename)).toEqual(['unnamedplot001.png', 'unnamedplot002.png']);
    for (const p of out.plots) {
      expect(p.type).toBe('image/png');
      expect(p.content.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(p.content.subarray(12, 16).toString('latin1')).toBe('IHDR');
      expect(p.content.readUInt32BE(16)).toBe(640);
      expect(p.content.readUInt32BE(20)).toBe(320);
      expect(p.sha256).toBe(createHash('sha256').update(p.content).digest('hex'));
    }
    const dir = await resultsDirOf(s);
    expect(fs.existsSync(dir)).toBe(false);
    // Plots are not artifacts: they never land in the working directory.
    expect(out.artifacts).toEqual([]);
    expect(fs.readdirSync(s.workdir)).toEqual([]);

    const next = await executeCode(s, 'plot(3:1)', DEFAULTS);
    expect(next.plots.map((p) => p.filename)).toEqual(['unnamedplot001.png']);
    expect(next.plots[0].content.readUInt32BE(16)).toBe(480);
    const none = await executeCode(s, '1 + 1', DEFAULTS);
    expect(none.plots).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('one Rserve round trip per execution, plots included', async () => {
    const evalCall = jest.spyOn(s, 'evalCall');
    const readFile = jest.spyOn(s, 'readFile');
    const evalText = jest.spyOn(s, 'eval');
    try {
      const none = await executeCode(s, 'x <- 1\nx', DEFAULTS);
      expect(none.console).toBe('\n> x <- 1\n\n> x\n[1] 1\n');
      expect(evalCall).toHaveBeenCalledTimes(1);
      const plotted = await executeCode(s, 'plot(1)\nplot(2)', DEFAULTS);
      expect(plotted.plots.map((p) => p.filename)).toEqual(['unnamedplot001.png', 'unnamedplot002.png']);
      expect(evalCall).toHaveBeenCalledTimes(2);
      expect(readFile).not.toHaveBeenCalled();
      expect(evalText).not.toHaveBeenCalled();
    } finally {
      evalCall.mockRestore();
      readFile.mockRestore();
      evalText.mockRestore();
    }
    expect(fs.existsSync(await resultsDirOf(s))).toBe(false);
  });

  test('the plot device opens only when the code plots: no results directory otherwise', async () => {
    const dir = await resultsDirOf(s);
    for (const code of ['y <- 2', 'dev.new()\ny <- 3', 'dev.new()\ndev.off()']) {
      const out = await executeCode(s, code, DEFAULTS);
      expect(out.error).toBeNull();
      expect(out.plots).toEqual([]);
      expect(fs.existsSync(dir)).toBe(false);
    }
    expect(await s.eval('dev.cur()')).toMatchObject({ value: [1] });
  });

  test('plots after the code closed its own png() device; base and grid graphics', async () => {
    const out = await executeCode(s, 'png("named.png")\nplot(1)\ndev.off()\nplot(2)\ngrid::grid.newpage()\ngrid::grid.rect()', DEFAULTS);
    expect(out.error).toBeNull();
    expect(out.plots.map((p) => p.filename)).toEqual(['unnamedplot001.png', 'unnamedplot002.png']);
    for (const p of out.plots) expect(p.content.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(out.artifacts.map((a) => a.filename)).toEqual(['named.png']);
    expect(fs.readdirSync(s.workdir)).toEqual(['named.png']);
    expect(fs.existsSync(await resultsDirOf(s))).toBe(false);
    fs.rmSync(path.join(s.workdir, 'named.png'));
  });

  test('svg plots', async () => {
    const out = await executeCode(s, 'plot(1:10)', { ...DEFAULTS, graphics: 'svg' });
    expect(out.plots).toHaveLength(1);
    expect(out.plots[0].filename).toBe('unnamedplot001.svg');
    expect(out.plots[0].type).toBe('image/svg+xml');
    const text = out.plots[0].content.toString('utf8');
    expect(text).toMatch(/<svg[^>]*width="480pt"[^>]*height="480pt"/);
    expect(text).toMatch(/<\/svg>\s*$/);
  });

  test('artifacts created or changed in the working directory, and artifactsoff', async () => {
    fs.writeFileSync(path.join(s.workdir, 'old.txt'), 'old');
    fs.writeFileSync(path.join(s.workdir, 'same.txt'), 'same');
    const out = await executeCode(s, 'writeLines("abc", "new.txt")\ncat("more", file = "old.txt", append = TRUE)', DEFAULTS);
    const arts = [...out.artifacts].sort((a, b) => a.filename.localeCompare(b.filename));
    expect(arts.map((a) => [a.filename, a.length])).toEqual([
      ['new.txt', 4],
      ['old.txt', 7],
    ]);
    for (const a of arts) expect(Math.abs(a.lastmodified - fs.statSync(path.join(s.workdir, a.filename)).mtimeMs)).toBeLessThan(1000);
    const off = await executeCode(s, 'writeLines("x", "off.txt")', { ...DEFAULTS, artifacts: false });
    expect(off.artifacts).toEqual([]);
    expect(fs.existsSync(path.join(s.workdir, 'off.txt'))).toBe(true);
    for (const f of fs.readdirSync(s.workdir)) fs.rmSync(path.join(s.workdir, f));
  });

  test('code with quotes, backslashes and unicode runs verbatim', async () => {
    const code = 's <- "a\\"b\'c\\\\d \u00e9\u4e2d\u{1F600}"\ncat(s, nchar(s), "\\n")\n# ") ; stop("injected';
    const out = await executeCode(s, code, { ...DEFAULTS, echo: false });
    expect(out.error).toBeNull();
    expect(out.console).toBe('a"b\'c\\d \u00e9\u4e2d\u{1F600} 11 \n');
    const echoed = await executeCode(s, code, DEFAULTS);
    expect(echoed.console.startsWith(`\n> ${code.split('\n')[0]}\n`)).toBe(true);
  });

  test('q() ends the execution', async () => {
    const out = await executeCode(s, 'a <- 1\nq()\nb <- 2', DEFAULTS);
    expect(out.quit).toBe(true);
    expect(s.alive).toBe(true);
  });
});

describe('interrupt and death', () => {
  test('an interrupt resolves with interrupted: true and the session stays usable', async () => {
    const s = await open({ interruptGrace: 20_000 });
    try {
      await executeCode(s, 'kept <- "yes"', DEFAULTS);
      const t0 = Date.now();
      const running = executeCode(s, 'cat("before\\n")\nSys.sleep(30)\ncat("after\\n")', DEFAULTS);
      await new Promise((r) => setTimeout(r, 500));
      expect(await s.interrupt()).toBe('interrupted');
      const out = await running;
      expect(out.interrupted).toBe(true);
      expect(out.error).toBeNull();
      expect(out.console).toContain('before');
      expect(out.console).not.toContain('after');
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(s.alive).toBe(true);
      const next = await executeCode(s, 'kept', { ...DEFAULTS, echo: false });
      expect(next.console).toBe('[1] "yes"\n');
      expect(next.interrupted).toBe(false);
    } finally {
      await s.destroy();
    }
  }, 30_000);

  test('SIGKILL of R mid-execution rejects with R_SESSION_DEAD', async () => {
    const s = await open();
    try {
      const running = executeCode(s, 'Sys.sleep(30)', DEFAULTS);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(s.pid, 'SIGKILL');
      await expect(running).rejects.toMatchObject({ name: 'RError', code: 'R_SESSION_DEAD' });
      expect(s.alive).toBe(false);
    } finally {
      await s.destroy();
    }
  }, 30_000);
});
