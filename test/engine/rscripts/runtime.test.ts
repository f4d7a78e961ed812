/**
 * Tests of the R runtime (rscripts/runtime.R) with plain Rscript: the runtime is sourced, the
 * entry point runs a block of code, and a tiny test-only JSON writer prints the result.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const RUNTIME = path.join(ROOT, 'rscripts/runtime.R');
const TO_JSON = path.join(__dirname, 'to-json.R');
const MARK = '@@DEPLOYR-RESULT@@';

interface ExecResult {
  console: string[];
  error: string[] | null;
  errorMessage: string[] | null;
  parseError: boolean[];
  warnings: string[];
  plots: string[];
  plotDir: string[];
  artifacts: { name: string[]; size: number[]; mtime: number[] };
  interrupted: boolean[];
  quit: boolean[];
  timeStart: number[];
  timeCode: number[];
}

interface RunOutput {
  results: ExecResult[];
  extra: string;
}

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-runtime-test-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function rString(s: string): string {
  return JSON.stringify(s); // a JSON string literal is a valid R string literal for our inputs
}

let counter = 0;

/**
 * Runs each `calls` entry (R argument lists for .deployr.execute) in one R process, in a fresh
 * working directory; `after` is R code run at the end whose output is returned as `extra`.
 */
function runR(calls: string[], after = ''): Promise<RunOutput> {
  counter += 1;
  const dir = path.join(tmp, `run${counter}`);
  const wd = path.join(dir, 'wd');
  fs.mkdirSync(wd, { recursive: true });
  const script = [
    `source(${rString(RUNTIME)})`,
    `sys.source(${rString(TO_JSON)}, envir = attach(NULL, name = "test:json"))`,
    `setwd(${rString(wd)})`,
    ...calls.map(
      (args, i) =>
        `local({ r <- .deployr.execute(${args}, resultsDir = ${rString(path.join(dir, `results${i}`))});` +
        ` cat(${rString(MARK)}, .test.toJSON(r), "\\n", sep = "") })`,
    ),
    `cat(${rString(MARK)}, "END\\n", sep = "")`,
    after,
  ].join('\n');
  const file = path.join(dir, 'script.R');
  fs.writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    execFile('Rscript', ['--vanilla', file], { cwd: wd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`Rscript failed: ${err.message}\n${stderr}`));
        return;
      }
      const results: ExecResult[] = [];
      let extra = '';
      const parts = stdout.split(MARK).slice(1);
      for (const part of parts) {
        if (part.startsWith('END')) extra = part.slice(4);
        else results.push(JSON.parse(part) as ExecResult);
      }
      resolve({ results, extra });
    });
  });
}

async function run1(args: string): Promise<ExecResult> {
  const { results } = await runR([args]);
  return results[0];
}

describe('rscripts/runtime.R .deployr.execute', () => {
  it('echoes each top-level expression like source(echo = TRUE) and autoprints visible values', async () => {
    const code = '# a comment\nx <- c(1:5)\nx\ninvisible(7)\nf <- function(a) {\n  a + 1\n}\nf(2); f(3)\nprint("hi")\n# trailing';
    const r = await run1(rString(code));
    expect(r.console[0]).toBe(
      '\n> # a comment\n> x <- c(1:5)\n' +
        '\n> x\n[1] 1 2 3 4 5\n' +
        '\n> invisible(7)\n' +
        '\n> f <- function(a) {\n+   a + 1\n+ }\n' +
        '\n> f(2); f(3)\n[1] 3\n[1] 4\n' +
        '\n> print("hi")\n[1] "hi"\n' +
        '\n> # trailing\n',
    );
    expect(r.error).toBeNull();
    expect(r.parseError).toEqual([false]);
    expect(r.warnings).toEqual([]);
    expect(r.interrupted).toEqual([false]);
    expect(r.timeCode[0]).toBeGreaterThanOrEqual(0);
    expect(r.timeStart[0]).toBeGreaterThan(1.5e12);
  });

  it('matches R\'s own source(echo = TRUE) output', async () => {
    const code = '# c\nx <- 1\n\n\ny <- x + 1; y\n  # indented\nif (TRUE) {\n  print(1)\n} else {\n  2\n}\n# end\n';
    const { results, extra } = await runR(
      [rString(code)],
      `writeLines(${rString(code)}, "code.R", sep = "")\n` +
        'cat(capture.output(source("code.R", echo = TRUE, max.deparse.length = Inf, keep.source = TRUE)), sep = "\\n")',
    );
    expect(results[0].console[0]).toBe(extra);
  });

  it('leaves commands out with echo = FALSE but keeps the output', async () => {
    const r = await run1(`${rString('x <- 2\nx * 21\ncat("done\\n")')}, echo = FALSE`);
    expect(r.console[0]).toBe('[1] 42\ndone\n');
  });

  it('returns an empty console with console = FALSE', async () => {
    const r = await run1(`${rString('print(1:3)')}, console = FALSE`);
    expect(r.console[0]).toBe('');
  });

  it('stops at the first R error and reports it as R prints it', async () => {
    const r = await run1(rString('g <- function() stop("boom")\ng()\ny <- 2'));
    expect(r.error).toEqual(['Error in g() : boom']);
    expect(r.errorMessage).toEqual(['boom']);
    expect(r.console[0]).toBe('\n> g <- function() stop("boom")\n\n> g()\nError in g() : boom\n');
  });

  it('prints a top-level stop() without a call, and wraps long messages like R', async () => {
    const { results } = await runR([
      rString('stop("top-level")'),
      rString('f <- function() h()\nh <- function() stop("deep error with a fairly long message to wrap around the line width")\nf()'),
      rString('1 + "a"'),
    ]);
    expect(results[0].error).toEqual(['Error: top-level']);
    expect(results[1].error).toEqual(['Error in h() : \n  deep error with a fairly long message to wrap around the line width']);
    expect(results[2].error).toEqual(['Error in 1 + "a" : non-numeric argument to binary operator']);
  });

  it('reports a parse error and evaluates nothing', async () => {
    const { results, extra } = await runR([rString('y <- 1\nx <- (\n')], 'cat(exists("y"))');
    const r = results[0];
    expect(r.parseError).toEqual([true]);
    expect(r.errorMessage?.[0]).toMatch(/unexpected end of input/);
    expect(r.error?.[0]).toMatch(/^Error: <text>:3:0: unexpected end of input/);
    expect(r.console[0]).toBe(`${r.error?.[0]}\n`);
    expect(extra).toBe('FALSE');
  });

  it('collects warnings and prints them after the expression like the R console', async () => {
    const r = await run1(rString('log(-1)\nwarning("top")\nfor (i in 1:2) warning(paste("w", i))\nx <- 1'));
    expect(r.warnings).toEqual(['In log(-1) : NaNs produced', 'top', 'w 1', 'w 2']);
    expect(r.console[0]).toBe(
      '\n> log(-1)\n[1] NaN\nWarning message:\nIn log(-1) : NaNs produced\n' +
        '\n> warning("top")\nWarning message:\ntop\n' +
        '\n> for (i in 1:2) warning(paste("w", i))\nWarning messages:\n1: w 1\n2: w 2\n' +
        '\n> x <- 1\n',
    );
  });

  it('prints the warnings of the expression that failed after its error, and stops there', async () => {
    const { results, extra } = await runR([rString('f <- function() { warning("w"); stop("e") }\nf()\nx <- 1')], 'cat(exists("x"))');
    expect(results[0].console[0]).toBe('\n> f <- function() { warning("w"); stop("e") }\n\n> f()\nError in f() : e\nWarning message:\nIn f() : w\n');
    expect(results[0].warnings).toEqual(['In f() : w']);
    expect(results[0].error).toEqual(['Error in f() : e']);
    expect(extra).toBe('FALSE');
  });

  it('leaves the code\'s own condition handlers alone', async () => {
    const code =
      'r <- tryCatch(stop("x"), error = function(e) "caught")\nr\n' +
      'withCallingHandlers(warning("w2"), warning = function(w) { cat("seen\\n"); invokeRestart("muffleWarning") })\n' +
      'try(log(-1))\nmessage("m")\n2';
    const r = await run1(`${rString(code)}, echo = FALSE`);
    expect(r.console[0]).toBe('[1] "caught"\nseen\n[1] NaN\nWarning message:\nIn log(-1) : NaNs produced\nm\n[1] 2\n');
    expect(r.warnings).toEqual(['In log(-1) : NaNs produced']);
    expect(r.error).toBeNull();
  });

  it('honours options(warn = 2) (warnings become errors) and warn = -1', async () => {
    const { results } = await runR([
      rString('options(warn = 2)\nlog(-1)\nprint("not reached")'),
      rString('options(warn = -1)\nlog(-1)\noptions(warn = 0)'),
    ]);
    expect(results[0].error).toEqual(['Error in log(-1) : (converted from warning) NaNs produced']);
    expect(results[0].console[0]).not.toMatch(/not reached/);
    expect(results[1].warnings).toEqual([]);
    expect(results[1].error).toBeNull();
  });

  it('prints warnings at once with options(warn = 1)', async () => {
    const r = await run1(`${rString('options(warn = 1)\nf <- function() { warning("now"); cat("after\\n") }\nf()\noptions(warn = 0)')}, echo = FALSE`);
    expect(r.console[0]).toBe('Warning in f() : now\nafter\n');
    expect(r.warnings).toEqual(['In f() : now']);
  });

  it('accepts \\r\\n and lone \\r line ends', async () => {
    const r = await run1(rString('x <- 1\r\ny <- 2\rx + y'));
    expect(r.console[0]).toBe('\n> x <- 1\n\n> y <- 2\n\n> x + y\n[1] 3\n');
  });

  it('captures messages in the console', async () => {
    const r = await run1(`${rString('message("to stderr")\ncat("to stdout\\n")')}, echo = FALSE`);
    expect(r.console[0]).toBe('to stderr\nto stdout\n');
  });

  it('writes unnamed plots as unnamedplot001.png, ... outside the working directory', async () => {
    const { results, extra } = await runR(
      [rString('plot(1:10)\nhist(c(1, 2, 2, 3))\ndev.off()\nplot(3)\npng("named.png")\nplot(1)')],
      'cat(list.files(getwd()), sep = ",")',
    );
    const r = results[0];
    expect(r.plots).toEqual(['unnamedplot001.png', 'unnamedplot002.png', 'unnamedplot003.png']);
    const dir = r.plotDir[0];
    expect(fs.readdirSync(dir).sort()).toEqual(r.plots);
    for (const p of r.plots) {
      const buf = fs.readFileSync(path.join(dir, p));
      expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    // the device the code opened itself was closed at the end, so its file is an artifact
    expect(r.artifacts.name).toEqual(['named.png']);
    expect(r.artifacts.size[0]).toBeGreaterThan(0);
    expect(extra).toBe('named.png');
  });

  it('opens the plot device only when the code plots: no results directory otherwise', async () => {
    const { results } = await runR([
      rString('x <- 1\nprint(x)'),
      rString('dev.new()\nx <- 2'),
      `${rString('dev.new()\ndev.off()\nx <- 3')}, graphics = "svg"`,
      rString('png("own.png")\nplot(1)\ndev.off()'),
    ]);
    for (const r of results) {
      expect(r.plots).toEqual([]);
      expect(path.isAbsolute(r.plotDir[0])).toBe(true);
      expect(fs.existsSync(r.plotDir[0])).toBe(false);
    }
    // a device the code opens itself is not ours: its file is an artifact, not a plot
    expect(results[3].artifacts.name).toEqual(['own.png']);
  });

  it('plots after the code closed its own png() device go to the unnamed plots', async () => {
    const { results, extra } = await runR(
      [rString('png("named.png")\nplot(1)\ndev.off()\nplot(2)\nhist(c(1, 2, 2))\npng("second.png")\nplot(3)\ndev.off()\nplot(4)')],
      'cat(sort(list.files(getwd())), sep = ",")',
    );
    const r = results[0];
    expect(r.plots).toEqual(['unnamedplot001.png', 'unnamedplot002.png', 'unnamedplot003.png']);
    expect(fs.readdirSync(r.plotDir[0]).sort()).toEqual(r.plots);
    expect([...r.artifacts.name].sort()).toEqual(['named.png', 'second.png']);
    expect(extra).toBe('named.png,second.png');
  });

  it('base and grid graphics open the device alike, one page each', async () => {
    const code = 'library(grid)\ngrid.newpage()\ngrid.rect()\ngrid.text("grid")\nplot(1:3)\ngrid.newpage()\ngrid.circle()';
    const { results } = await runR([rString(code), `${rString(code)}, graphics = "svg"`]);
    expect(results[0].error).toBeNull();
    expect(results[0].plots).toEqual(['unnamedplot001.png', 'unnamedplot002.png', 'unnamedplot003.png']);
    expect(results[1].plots).toEqual(['unnamedplot001.svg', 'unnamedplot002.svg', 'unnamedplot003.svg']);
    for (const r of results) {
      for (const p of r.plots) expect(fs.statSync(path.join(r.plotDir[0], p)).size).toBeGreaterThan(0);
    }
  });

  it('returns the plot bytes with readPlots = TRUE and removes the results directory', async () => {
    const { extra } = await runR(
      [],
      [
        'rp <- file.path(tempdir(), "rp")',
        'r <- .deployr.execute("plot(1)\nx <- 1\nplot(2)", readPlots = TRUE, resultsDir = rp)',
        'cat(r$plots, vapply(r$plotData, function(b) rawToChar(b[2:4]), ""), file.exists(rp), "", sep = ",")',
        // whatever the directory held before goes too, also when nothing is plotted
        'dir.create(rp); writeLines("x", file.path(rp, "stale.txt"))',
        'r2 <- .deployr.execute("1", readPlots = TRUE, resultsDir = rp)',
        'cat(length(r2$plots), length(r2$plotData), file.exists(rp), "", sep = ",")',
        'r3 <- .deployr.execute("plot(1)", resultsDir = rp)',
        'cat(is.null(r3$plotData), file.exists(file.path(rp, "unnamedplot001.png")), sep = ",")',
      ].join('\n'),
    );
    expect(extra).toBe('unnamedplot001.png,unnamedplot002.png,PNG,PNG,FALSE,0,0,FALSE,TRUE,TRUE');
  });

  it('resolves a relative resultsDir against the working directory of the call', async () => {
    const { extra } = await runR(
      [],
      [
        'r <- .deployr.execute("setwd(tempdir())\nplot(1)", resultsDir = "rel")',
        'cat(r$plotDir == normalizePath("rel"), file.exists(file.path("rel", r$plots)), sep = ",")',
      ].join('\n'),
    );
    expect(extra).toBe('TRUE,TRUE');
  });

  it('writes svg plots with the requested size', async () => {
    const r = await run1(`${rString('plot(1:10)\nplot(2)')}, graphics = "svg", width = 360, height = 216`);
    expect(r.plots).toEqual(['unnamedplot001.svg', 'unnamedplot002.svg']);
    const svg = fs.readFileSync(path.join(r.plotDir[0], r.plots[0]), 'utf8');
    expect(svg).toMatch(/<svg[^>]*width="360pt" height="216pt"/);
  });

  it('makes no plot file when nothing is plotted (also with svg)', async () => {
    const { results } = await runR([rString('x <- 1'), `${rString('dev.new()\nx <- 2')}, graphics = "svg"`]);
    expect(results[0].plots).toEqual([]);
    expect(results[1].plots).toEqual([]);
  });

  it('reports files created or changed in the working directory as artifacts', async () => {
    const { results } = await runR([
      rString('writeLines("a", "a.txt")\nwriteLines("b", "b.txt")'),
      rString('writeLines("changed", "a.txt")\nwrite.csv(data.frame(x = 1:3), "c.csv")\nx <- readLines("b.txt")'),
      `${rString('writeLines("d", "d.txt")')}, artifacts = FALSE`,
    ]);
    expect(results[0].artifacts.name).toEqual(['a.txt', 'b.txt']);
    expect(results[0].artifacts.size).toEqual([2, 2]);
    expect(results[1].artifacts.name).toEqual(['a.txt', 'c.csv']);
    expect(results[1].artifacts.size[0]).toBe(8);
    expect(results[2].artifacts.name).toEqual([]);
  });

  it('lists artifacts in the order of list.files(), also in a working directory with glob characters', async () => {
    const wd = fs.mkdtempSync(path.join(tmp, 'glob [x]*?{a,b}~'));
    fs.writeFileSync(path.join(wd, 'keep.txt'), 'same');
    fs.writeFileSync(path.join(wd, 'Change.txt'), 'old');
    const code = 'for (f in c("b.txt", "A.txt", "a.txt", "_u.txt", ".hidden")) writeLines(f, f)\ncat("more", file = "Change.txt", append = TRUE)\ndir.create("subdir")';
    const { results, extra } = await runR(
      [`${rString(code)}, workDir = ${rString(wd)}`],
      `cat(setdiff(list.files(${rString(wd)}), c("keep.txt", "subdir")), sep = ",")`,
    );
    const r = results[0];
    expect(r.error).toBeNull();
    expect(r.artifacts.name.join(',')).toBe(extra);
    expect([...r.artifacts.name].sort()).toEqual(['A.txt', 'Change.txt', '_u.txt', 'a.txt', 'b.txt']);
    expect(r.artifacts.size[r.artifacts.name.indexOf('Change.txt')]).toBe(7);
  });

  it('keeps user objects in the global environment and the runtime out of it', async () => {
    const { results, extra } = await runR(
      [rString('a <- 1\nb <- "x"\nls()')],
      'cat(ls(globalenv(), all.names = TRUE), sep = ","); cat("|"); cat("deployr:runtime" %in% search())',
    );
    expect(results[0].console[0]).toContain('[1] "a" "b"');
    const [globals, second] = extra.split('|');
    expect(globals.split(',').filter((n) => n !== '.Random.seed')).toEqual(['a', 'b']);
    expect(second).toBe('TRUE');
  });

  it('survives sink() misuse and restores the sinks afterwards', async () => {
    const { results, extra } = await runR(
      [rString('sink("s.txt")\nprint(1)\nsink()\nsink()\nprint(2)\nsink("open.txt")\nprint(3)'), rString('print(4)')],
      'cat(sink.number(), readLines("s.txt"), readLines("open.txt"), sep = ",")',
    );
    expect(results[0].console[0]).toContain('> print(2)\n[1] 2\n');
    expect(results[0].console[0]).not.toContain('[1] 1\n');
    expect(results[0].console[0]).not.toContain('[1] 3\n');
    expect(results[1].console[0]).toBe('\n> print(4)\n[1] 4\n');
    expect(extra).toBe('0,[1] 1,[1] 3');
  });

  it('ends the execution on quit() without killing the session', async () => {
    const { results, extra } = await runR([rString('print(1)\nquit("no")\nprint(2)'), rString('q()')], 'cat("alive")');
    expect(results[0].quit).toEqual([true]);
    expect(results[0].error).toBeNull();
    expect(results[0].console[0]).not.toContain('[1] 2');
    expect(results[1].quit).toEqual([true]);
    expect(extra).toBe('alive');
  });

  it('handles very long output', async () => {
    const r = await run1(`${rString('for (i in 1:100000) cat("line", i, "\\n")')}, echo = FALSE`);
    const lines = r.console[0].split('\n');
    expect(lines.length).toBe(100001);
    expect(lines[99999]).toBe('line 100000 ');
  });

  it('truncates the console to maxConsole bytes when asked', async () => {
    const r = await run1(`${rString('for (i in 1:1000) cat("line", i, "\\n")')}, echo = FALSE, maxConsole = 20`);
    expect(r.console[0]).toBe('[console output truncated]\nline 1000 \n');
  });

  it('stops on an interrupt (SIGINT) and reports it', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'intr-'));
    const script = [
      `source(${rString(RUNTIME)})`,
      `sys.source(${rString(TO_JSON)}, envir = attach(NULL, name = "test:json"))`,
      `r <- .deployr.execute(${rString('writeLines("x", "started"); Sys.sleep(20)\nprint("not reached")')}, workDir = ${rString(dir)})`,
      `cat(${rString(MARK)}, .test.toJSON(r), "\\n", sep = "")`,
    ].join('\n');
    const file = path.join(dir, 'script.R');
    fs.writeFileSync(file, script);
    const child = spawn('Rscript', ['--vanilla', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    // wait until the code is running
    const started = path.join(dir, 'started');
    for (let i = 0; i < 200 && !fs.existsSync(started); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(fs.existsSync(started)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const r = JSON.parse(stdout.split(MARK)[1]) as ExecResult;
    expect(r.interrupted).toEqual([true]);
    expect(r.error).toBeNull();
    expect(r.console[0]).not.toContain('not reached');
  });

  it('revoEvent() is harmless outside Rserve', async () => {
    const { results } = await runR([rString('revoEvent(list(a = 1))')]);
    expect(results[0].error).toBeNull();
    expect(results[0].console[0]).toBe('\n> revoEvent(list(a = 1))\n');
  });

  it('can be sourced twice (idempotent)', async () => {
    const { extra } = await runR([], `source(${rString(RUNTIME)}); cat(sum(search() == "deployr:runtime"))`);
    expect(extra).toBe('1');
  });
});
