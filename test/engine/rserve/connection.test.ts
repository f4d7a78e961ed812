/** Our QAP1 client against a real Rserve 1.8 started by our daemon supervisor. */
import type { OobMessage, RConnection } from '../../../server/engine/rserve/connection';
import { rCall, rDouble, rInt, rString } from '../../../server/engine/rserve/encode';
import { isRError } from '../../../server/engine/rserve/errors';
import { classOf, doublesFrom, isNaReal, setNaReal, stringAttr, type RValue } from '../../../server/engine/rserve/sexp';
import { useRserve } from '../../helpers/rserve';

const rserve = useRserve();
let c: RConnection;

beforeAll(async () => {
  c = await rserve().connect();
});
afterAll(async () => {
  await c?.close();
});

/** Evaluates R code that must return TRUE. */
async function rTrue(code: string): Promise<void> {
  expect(await c.eval(code)).toEqual({ type: 'logical', value: [true] });
}

describe('values from R', () => {
  test('integers: negative, NA, extremes', async () => {
    expect(await c.eval('c(-1L, NA, 0L, .Machine$integer.max, -.Machine$integer.max)')).toEqual({
      type: 'integer',
      value: [-1, null, 0, 2147483647, -2147483647],
    });
  });

  test('strings: NA is not "NA"', async () => {
    expect(await c.eval('c("a", NA, "NA", "", "é€")')).toEqual({ type: 'string', value: ['a', null, 'NA', '', 'é€'] });
  });

  test('doubles: NA, NaN, Inf, -Inf stay distinct', async () => {
    const v = await c.eval('c(1.5, NA, NaN, Inf, -Inf)');
    expect(v.type).toBe('double');
    if (v.type !== 'double') return;
    expect(v.value[0]).toBe(1.5);
    expect(isNaReal(v.value, 1)).toBe(true);
    expect(Number.isNaN(v.value[2]) && !isNaReal(v.value, 2)).toBe(true);
    expect([v.value[3], v.value[4]]).toEqual([Infinity, -Infinity]);
  });

  test('logicals with NA', async () => {
    expect(await c.eval('c(TRUE, NA, FALSE)')).toEqual({ type: 'logical', value: [true, null, false] });
  });

  test('complex and raw', async () => {
    const z = await c.eval('complex(real = c(1, NA), imaginary = c(-2, 0))');
    expect(z.type === 'complex' && [z.re[0], isNaReal(z.re, 1), z.im[0]]).toEqual([1, true, -2]);
    expect(await c.eval('as.raw(c(0, 1, 255))')).toEqual({ type: 'raw', value: Buffer.from([0, 1, 255]) });
  });

  test('a factor keeps its levels and class', async () => {
    const f = await c.eval('factor(c("b", "a", NA, "b"), levels = c("b", "a"))');
    expect(f).toEqual({
      type: 'integer',
      value: [1, 2, null, 1],
      attributes: { levels: { type: 'string', value: ['b', 'a'] }, class: { type: 'string', value: ['factor'] } },
    });
    const o = await c.eval('factor(c("lo", "hi"), levels = c("lo", "hi"), ordered = TRUE)');
    expect(classOf(o)).toEqual(['ordered', 'factor']);
  });

  test('a matrix keeps dim and dimnames', async () => {
    const m = await c.eval('matrix(c(1, 2, 3, 4, 5, 6), nrow = 2, dimnames = list(c("r1", "r2"), c("a", "b", "c")))');
    expect(m.type).toBe('double');
    expect(m.attributes?.dim).toEqual({ type: 'integer', value: [2, 3] });
    expect(m.attributes?.dimnames).toEqual({
      type: 'list',
      value: [
        { type: 'string', value: ['r1', 'r2'] },
        { type: 'string', value: ['a', 'b', 'c'] },
      ],
    });
  });

  test('a data frame keeps names, class and row names', async () => {
    const df = await c.eval('data.frame(n = c(1L, NA), s = c("x", NA), f = factor(c("u", "v")), stringsAsFactors = FALSE)');
    expect(df.type).toBe('list');
    expect(classOf(df)).toEqual(['data.frame']);
    expect(stringAttr(df, 'names')).toEqual(['n', 's', 'f']);
    expect(df.attributes?.['row.names']).toEqual({ type: 'integer', value: [null, -2] });
    if (df.type !== 'list') return;
    expect(df.value[0]).toEqual({ type: 'integer', value: [1, null] });
    expect(df.value[1]).toEqual({ type: 'string', value: ['x', null] });
    expect(stringAttr(df.value[2], 'levels')).toEqual(['u', 'v']);
  });

  test('dates and date-times keep class and time zone', async () => {
    const d = await c.eval('as.Date(c("2016-01-05", NA))');
    expect(classOf(d)).toEqual(['Date']);
    expect(d.type === 'double' && [d.value[0], isNaReal(d.value, 1)]).toEqual([16805, true]);
    const t = await c.eval('as.POSIXct("2020-02-29 12:34:56", tz = "UTC")');
    expect(classOf(t)).toEqual(['POSIXct', 'POSIXt']);
    expect(stringAttr(t, 'tzone')).toEqual(['UTC']);
    expect(t.type === 'double' && t.value[0]).toBe(Date.UTC(2020, 1, 29, 12, 34, 56) / 1000);
  });

  test('lists, NULL, symbols and language objects', async () => {
    expect(await c.eval('NULL')).toEqual({ type: 'null' });
    expect(await c.eval('list(a = 1L, list(NULL))')).toEqual({
      type: 'list',
      value: [
        { type: 'integer', value: [1] },
        { type: 'list', value: [{ type: 'null' }] },
      ],
      attributes: { names: { type: 'string', value: ['a', ''] } },
    });
    expect(await c.eval('as.name("sym")')).toEqual({ type: 'symbol', name: 'sym' });
    expect(await c.eval('quote(f(x, y = 2L))')).toEqual({
      type: 'pairlist',
      value: [
        { tag: null, value: { type: 'symbol', name: 'f' } },
        { tag: null, value: { type: 'symbol', name: 'x' } },
        { tag: 'y', value: { type: 'integer', value: [2] } },
      ],
    });
  });

  test('closures, environments and S4 objects are opaque summaries', async () => {
    expect(await c.eval('function(x) x')).toMatchObject({ type: 'opaque', rtype: 'closure' });
    expect(await c.eval('globalenv()')).toEqual({ type: 'opaque', rtype: 'environment' });
    const s4 = await c.eval('setClass("P", representation(x = "numeric")); new("P", x = 1)');
    expect(s4).toMatchObject({ type: 'opaque', rtype: 'S4' });
    expect(stringAttr(s4, 'class')).toEqual(['P']);
  });
});

describe('values to R (setSEXP) and back', () => {
  const naDouble = new Float64Array([1, NaN, Infinity, -Infinity, 0]);
  setNaReal(naDouble, 4);
  const cases: [string, RValue, string][] = [
    ['NULL', { type: 'null' }, 'is.null(x)'],
    ['logical', { type: 'logical', value: [true, null, false] }, 'identical(x, c(TRUE, NA, FALSE))'],
    ['integer', { type: 'integer', value: [-5, null, 2147483647] }, 'identical(x, c(-5L, NA, 2147483647L))'],
    ['double', { type: 'double', value: naDouble }, 'identical(x, c(1, NaN, Inf, -Inf, NA)) && is.nan(x[2]) && !is.nan(x[5])'],
    ['string', { type: 'string', value: ['a', null, 'NA', '', 'ü'] }, 'identical(x, c("a", NA, "NA", "", "\\u00fc"))'],
    ['raw', { type: 'raw', value: Buffer.from([0, 128, 255]) }, 'identical(x, as.raw(c(0, 128, 255)))'],
    ['complex', { type: 'complex', re: Float64Array.from([1, 0]), im: Float64Array.from([2, -1]) }, 'identical(x, c(1+2i, 0-1i))'],
    [
      'named list',
      {
        type: 'list',
        value: [rInt(1), rString('b')],
        attributes: { names: rString('a', 'b') },
      },
      'identical(x, list(a = 1L, b = "b"))',
    ],
    [
      'factor',
      { type: 'integer', value: [2, 1, null], attributes: { levels: rString('lo', 'hi'), class: rString('factor') } },
      'identical(x, factor(c("hi", "lo", NA), levels = c("lo", "hi")))',
    ],
    [
      'matrix',
      { type: 'integer', value: [1, 2, 3, 4, 5, 6], attributes: { dim: rInt(2, 3) } },
      'identical(x, matrix(1:6, 2))',
    ],
    [
      'data frame',
      {
        type: 'list',
        value: [rDouble(1, 2), rString('u', 'v')],
        attributes: { names: rString('n', 's'), class: rString('data.frame'), 'row.names': rInt(null, -2) },
      },
      'identical(x, data.frame(n = c(1, 2), s = c("u", "v"), stringsAsFactors = FALSE))',
    ],
    [
      'Date',
      { type: 'double', value: doublesFrom([16805, null]), attributes: { class: rString('Date') } },
      'identical(x, as.Date(c("2016-01-05", NA)))',
    ],
    [
      'POSIXct',
      { type: 'double', value: Float64Array.from([1582979696]), attributes: { class: rString('POSIXct', 'POSIXt'), tzone: rString('UTC') } },
      'identical(x, as.POSIXct("2020-02-29 12:34:56", tz = "UTC"))',
    ],
  ];

  test.each(cases)('%s', async (_label, value, check) => {
    await c.set('x', value);
    await rTrue(check);
    const back = await c.eval('x');
    expect(back).toEqual(value);
    if (value.type === 'double' && back.type === 'double') {
      const na = (a: Float64Array): boolean[] => Array.from(a, (_v, i) => isNaReal(a, i));
      expect(na(back.value)).toEqual(na(value.value));
    }
  });

  test('assign takes plain and backquoted names, and refuses what would crash R', async () => {
    await c.assign('my.var', rString('v'));
    await c.assign('`odd name`', rString('w'));
    await rTrue('identical(my.var, "v") && identical(`odd name`, "w")');
    for (const bad of ['holder$item', 'x[1]', 'TRUE', '1', 'f()', '..1']) {
      await expect(c.assign(bad, rString('v'))).rejects.toMatchObject({ code: 'RSERVE_COMMAND' });
    }
    expect(await c.eval('1L')).toEqual(rInt(1));
  });

  test('a call evaluates with its arguments as data, never as code', async () => {
    const evil = '"); stop("injected'; // would break out of a pasted string
    expect(await c.evalCall(rCall('nchar', rString(evil)))).toEqual({ type: 'integer', value: [evil.length] });
  });
});

describe('large vectors (DT_LARGE / XT_LARGE)', () => {
  const n = 6_553_600; // 50 MB of doubles

  test('50 MB numeric vector from R', async () => {
    const v = await c.eval(`x <- as.numeric(seq_len(${n})); x[3] <- NA; x`, { timeout: 60_000 });
    expect(v.type).toBe('double');
    if (v.type !== 'double') return;
    expect(v.value.length).toBe(n);
    expect([v.value[0], v.value[n - 1]]).toEqual([1, n]);
    expect(isNaReal(v.value, 2)).toBe(true);
  });

  test('50 MB numeric vector to R', async () => {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = i * 0.5;
    setNaReal(values, 7);
    await c.set('y', { type: 'double', value: values }, { timeout: 60_000 });
    await rTrue(`length(y) == ${n} && y[${n}] == ${(n - 1) * 0.5} && is.na(y[8]) && !is.nan(y[8]) && sum(y[-8]) == ${values.reduce((a, b) => (Number.isNaN(b) ? a : a + b), 0)}`);
  });

  test('a large string vector both ways', async () => {
    const v = await c.eval('s <- rep(c("alpha", NA, "γ"), 200000); s');
    expect(v.type === 'string' && [v.value.length, v.value[0], v.value[1], v.value[599_999]]).toEqual([600_000, 'alpha', null, 'γ']);
    await c.set('s2', v);
    await rTrue('identical(s, s2)');
  });
});

describe('errors carry R messages', () => {
  test('an R error', async () => {
    const e = await c.eval('stop("custom failure 42")').catch((x: unknown) => x);
    expect(isRError(e, 'R_ERROR')).toBe(true);
    expect((e as Error).message).toMatch(/custom failure 42/);
    expect((e as Error).message).not.toMatch(/127/);
  });

  test('an error inside a function names the call', async () => {
    await expect(c.eval('f <- function() log(-1 + "a"); f()')).rejects.toMatchObject({
      code: 'R_ERROR',
      message: expect.stringMatching(/non-numeric argument to binary operator/),
    });
  });

  test('a syntax error', async () => {
    await expect(c.eval('1 +* 2')).rejects.toMatchObject({ code: 'R_PARSE_ERROR', message: expect.stringMatching(/unexpected '\*'/) });
    await expect(c.voidEval('f(')).rejects.toMatchObject({ code: 'R_PARSE_ERROR', message: expect.stringMatching(/unexpected end of input/) });
  });

  test('the connection stays usable after errors', async () => {
    expect(await c.eval('1L + 1L')).toEqual({ type: 'integer', value: [2] });
  });

  test('file errors', async () => {
    await expect(c.readWholeFile('/nonexistent/file')).rejects.toMatchObject({ code: 'RSERVE_COMMAND' });
  });
});

describe('out-of-band messages', () => {
  test('self.oobSend delivers the decoded value as an event, with its code', async () => {
    const got: OobMessage[] = [];
    const listener = (m: OobMessage): void => {
      got.push(m);
    };
    c.on('oob', listener);
    const v = await c.eval('self.oobSend(list(progress = 0.5, note = "half")); self.oobSend("done", code = 7L); 99L');
    c.off('oob', listener);
    expect(v).toEqual({ type: 'integer', value: [99] });
    expect(got).toEqual([
      {
        kind: 'send',
        code: 0,
        value: { type: 'list', value: [rDouble(0.5), rString('half')], attributes: { names: rString('progress', 'note') } },
      },
      { kind: 'send', code: 7, value: rString('done') },
    ]);
  });

  test('self.oobMessage gets the handler reply', async () => {
    const conn = await rserve().node.connect({
      onOobMessage: (m) => (m.value.type === 'string' ? rString(`echo:${m.value.value[0]}`) : rString('?')),
    });
    try {
      expect(await conn.eval('self.oobMessage("ping")')).toEqual(rString('echo:ping'));
    } finally {
      await conn.close();
    }
  });
});

describe('queueing', () => {
  test('overlapping calls on one connection never interleave', async () => {
    await c.voidEval('counter <- 0L');
    const calls = Array.from({ length: 50 }, (_, i) =>
      i % 5 === 0
        ? c.eval(`stop("e${i}")`).catch((e: Error) => e.message)
        : c.eval(`counter <- counter + 1L; Sys.sleep(0.001); c(${i}L, counter)`),
    );
    const results = await Promise.all(calls);
    let expected = 0;
    results.forEach((r, i) => {
      if (i % 5 === 0) {
        expect(r).toMatch(new RegExp(`e${i}`));
      } else {
        expected++;
        expect(r).toEqual({ type: 'integer', value: [i, expected] });
      }
    });
  });

  test('a per-call timeout rejects without breaking the connection', async () => {
    const slow = c.eval('Sys.sleep(0.5); "slow"', { timeout: 50 });
    const after = c.eval('"after"');
    await expect(slow).rejects.toMatchObject({ code: 'R_TIMEOUT' });
    await expect(after).resolves.toEqual(rString('after'));
  });

  test('file transfer both ways', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 0);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await c.evalCall(rCall('setwd', rString(rserve().dir)));
    await c.writeWholeFile('blob.bin', data);
    expect(await c.eval('file.size("blob.bin")')).toEqual(rDouble(data.length));
    expect((await c.readWholeFile('blob.bin')).equals(data)).toBe(true);
    await c.writeWholeFile('empty.bin', Buffer.alloc(0));
    expect((await c.readWholeFile('empty.bin')).length).toBe(0);
    await c.removeFile('blob.bin');
    await rTrue('!file.exists("blob.bin")');
  });
});
