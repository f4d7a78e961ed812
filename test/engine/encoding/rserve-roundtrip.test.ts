/**
 * The encoding and the R runtime against a real Rserve, through our QAP1 client: R objects as
 * R makes them → markup, inputs → R objects assigned with setSEXP and checked by R itself, and
 * .deployr.execute() results and revoEvent() out-of-band messages as the server receives them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OobMessage, RConnection } from '../../../server/engine/rserve/connection';
import type { RValue } from '../../../server/engine/rserve/sexp';
import { decodeInputs } from '../../../server/engine/encoding/from-markup';
import { encodeRObject, summarizeRObject } from '../../../server/engine/encoding/to-markup';
import { stringifyMarkup } from '../../../server/engine/encoding/json';
import { useRserve } from '../../helpers/rserve';

const rserve = useRserve();
const RUNTIME = path.resolve(__dirname, '../../../rscripts/runtime.R');

let conn: RConnection;

beforeAll(async () => {
  conn = await rserve().connect();
  const wd = path.join(rserve().sessionsDir, 'roundtrip');
  fs.mkdirSync(wd, { recursive: true });
  await conn.voidEval(`setwd(${JSON.stringify(wd)}); source(${JSON.stringify(RUNTIME)})`);
}, 60_000);

afterAll(async () => {
  await conn?.close();
});

function listItem(v: RValue, name: string): RValue {
  if (v.type !== 'list') throw new Error('not a list');
  const names = v.attributes?.names;
  const i = names && names.type === 'string' ? names.value.indexOf(name) : -1;
  if (i < 0) throw new Error(`no ${name}`);
  return v.value[i];
}

function str(v: RValue): (string | null)[] {
  if (v.type !== 'string') throw new Error(`not a string: ${v.type}`);
  return v.value;
}

describe('R objects made by R → markup', () => {
  beforeAll(async () => {
    await conn.voidEval(`
      x_character <- "c"; x_integer <- as.integer(10); x_numeric <- 5; x_logical <- T
      x_date <- as.Date("2011-10-04")
      x_posixct <- as.POSIXct("2011-10-05 12:13:14", tz = "America/Los_Angeles")
      x_posixlt <- as.POSIXlt("2016-07-01 09:30:15", tz = "America/New_York")
      x_character_vector <- c("a","b","c"); x_integer_vector <- as.integer(c(10:15))
      x_numeric_vector <- as.double(c(10:15))
      x_matrix <- matrix(c(1,2,3, 11,12,13), nrow = 2, ncol = 3)
      x_ordered_factor <- ordered(substring("statistics", 1:10, 1:10), levels = c("s","t","a","c","i"))
      x_unordered_factor <- factor(substring("statistics", 1:10, 1:10), levels = c("s","t","a","c","i"))
      x_list <- list(c(10:15), c(40:45))
      x_dataframe <- data.frame(c(10:15), c(40:45))
      x_special <- c(1.5, NA, NaN, Inf, -Inf)
      x_nested <- list(a = list(b = list(c = TRUE)), d = NULL)
      x_fun <- function(x) x
      x_env <- new.env()
      x_lm <- lm(y ~ x, data.frame(x = 1:3, y = c(2, 4, 7)))
    `);
  });

  async function enc(name: string, options = {}) {
    return encodeRObject(name, await conn.eval(name), options);
  }

  it('encodes the reference sample as documented', async () => {
    expect(await enc('x_character')).toEqual({ name: 'x_character', type: 'primitive', rclass: 'character', value: 'c' });
    expect(await enc('x_integer')).toEqual({ name: 'x_integer', type: 'primitive', rclass: 'integer', value: 10 });
    expect(stringifyMarkup(await enc('x_numeric'))).toBe('{"name":"x_numeric","type":"primitive","rclass":"numeric","value":5.0}');
    expect(await enc('x_logical')).toEqual({ name: 'x_logical', type: 'primitive', rclass: 'logical', value: true });
    expect(await enc('x_date')).toEqual({ name: 'x_date', type: 'date', rclass: 'Date', value: '2011-10-04', format: 'yyyy-MM-dd' });
    expect(await enc('x_posixct')).toEqual({
      name: 'x_posixct',
      type: 'date',
      rclass: 'POSIXct',
      value: '2011-10-05 12:13:14 -0700',
      format: 'yyyy-MM-dd HH:mm:ss Z',
    });
    expect(await enc('x_posixlt')).toMatchObject({ type: 'date', rclass: 'POSIXlt', value: '2016-07-01 09:30:15 -0400' });
    expect(await enc('x_character_vector')).toEqual({ name: 'x_character_vector', type: 'vector', rclass: 'character', value: ['a', 'b', 'c'] });
    expect(await enc('x_integer_vector')).toMatchObject({ type: 'vector', rclass: 'integer', value: [10, 11, 12, 13, 14, 15] });
    expect(await enc('x_numeric_vector')).toMatchObject({ type: 'vector', rclass: 'numeric', value: [10, 11, 12, 13, 14, 15] });
    expect(await enc('x_matrix')).toEqual({
      name: 'x_matrix',
      type: 'matrix',
      rclass: 'matrix',
      value: [
        [1, 3, 12],
        [2, 11, 13],
      ],
    });
    const stat = 'statistics'.split('');
    const levels = ['s', 't', 'a', 'c', 'i'];
    expect(await enc('x_ordered_factor')).toEqual({
      name: 'x_ordered_factor', type: 'factor', rclass: 'ordered', value: stat, labels: levels, levels, ordered: true,
    });
    expect(await enc('x_unordered_factor')).toEqual({
      name: 'x_unordered_factor', type: 'factor', rclass: 'factor', value: stat, labels: levels, levels, ordered: false,
    });
    expect(await enc('x_list')).toEqual({
      name: 'x_list',
      type: 'list',
      rclass: 'list',
      value: [
        { name: '1', type: 'vector', rclass: 'integer', value: [10, 11, 12, 13, 14, 15] },
        { name: '2', type: 'vector', rclass: 'integer', value: [40, 41, 42, 43, 44, 45] },
      ],
    });
    expect(await enc('x_dataframe')).toEqual({
      name: 'x_dataframe',
      type: 'dataframe',
      rclass: 'data.frame',
      value: [
        { name: 'c.10.15.', type: 'vector', rclass: 'integer', value: [10, 11, 12, 13, 14, 15] },
        { name: 'c.40.45.', type: 'vector', rclass: 'integer', value: [40, 41, 42, 43, 44, 45] },
      ],
    });
  });

  it('encodes NA, NaN, Inf, nesting and unsupported objects', async () => {
    expect((await enc('x_special')) as { value: unknown }).toMatchObject({
      value: [1.5, null, null, '0x7ff0000000000000L', '0xfff0000000000000L'],
    });
    expect(await enc('x_special', { nan: 'NaN', infinity: 'Inf' })).toMatchObject({ value: [1.5, null, 'NaN', 'Inf', '-Inf'] });
    expect(await enc('x_nested')).toEqual({
      name: 'x_nested',
      type: 'list',
      rclass: 'list',
      value: [
        {
          name: 'a',
          type: 'list',
          rclass: 'list',
          value: [{ name: 'b', type: 'list', rclass: 'list', value: [{ name: 'c', type: 'primitive', rclass: 'logical', value: true }] }],
        },
        { name: 'd', type: 'primitive', rclass: 'NULL', value: null },
      ],
    });
    expect(await enc('x_fun')).toEqual({ name: 'x_fun', type: 'unsupported', rclass: 'function' });
    expect(await enc('x_env')).toEqual({ name: 'x_env', type: 'unsupported', rclass: 'environment' });
    expect(await enc('x_lm')).toMatchObject({ type: 'list', rclass: 'lm' });
    expect(summarizeRObject('x_dataframe', await conn.eval('x_dataframe'))).toEqual({
      branch: true, rclass: 'data.frame', name: 'x_dataframe', type: 'dataframe', xdf: null,
    });
  });
});

describe('inputs → R objects, checked by R', () => {
  it('assigns the reference inputs as R would build them', async () => {
    const inputs = decodeInputs(`{
      "i_character": {"type": "primitive", "value": "c"},
      "i_integer": {"type": "primitive", "value": 10},
      "i_double": {"type": "primitive", "value": 5.5},
      "i_logical": {"type": "primitive", "value": true},
      "i_date": {"type": "date", "value": "2011-10-4", "format": "yyyy-MM-dd"},
      "i_posixct": {"type": "date", "value": "2011-10-05 12:13:14 -0800", "format": "yyyy-MM-dd HH:mm:ss Z"},
      "i_vector": {"type": "vector", "value": [10, 11.1, null]},
      "i_matrix": {"type": "matrix", "value": [[1, 3, 12], [2, 11, 13]]},
      "i_ordered": {"type": "factor", "ordered": true, "value": ["s","t","a","t","i","s","t","i","c","s"], "labels": ["s","t","a","c","i"]},
      "i_factor": {"type": "factor", "value": ["1", "3"], "levels": ["1", "2", "3"], "labels": ["one", "two", "three"], "ordered": false},
      "i_list": {"type": "list", "value": [{"name": "first", "value": [10, 11, 12], "type": "vector"}, {"value": "x"}]},
      "i_df": {"type": "dataframe", "value": [{"name": "a", "type": "vector", "value": [1.5, 2.5]}, {"name": "k", "value": "same"},
               {"name": "d", "type": "vector", "value": ["2016-01-5", null], "format": "yyyy-MM-dd"}]}
    }`);
    for (const { name, value } of inputs) await conn.set(name, value);
    const checks: Record<string, string> = {
      i_character: 'identical(i_character, "c")',
      i_integer: 'identical(i_integer, 10L)',
      i_double: 'identical(i_double, 5.5)',
      i_logical: 'identical(i_logical, TRUE)',
      i_date: 'identical(i_date, as.Date("2011-10-04"))',
      i_posixct: 'identical(as.numeric(i_posixct), as.numeric(as.POSIXct("2011-10-05 20:13:14", tz = "UTC"))) && inherits(i_posixct, "POSIXct")',
      i_vector: 'identical(i_vector, c(10, 11.1, NA))',
      i_matrix: 'identical(i_matrix, matrix(as.integer(c(1, 2, 3, 11, 12, 13)), nrow = 2))',
      i_ordered: 'identical(i_ordered, ordered(substring("statistics", 1:10, 1:10), levels = c("s","t","a","c","i")))',
      i_factor: 'identical(i_factor, factor(c("1", "3"), levels = c("1", "2", "3"), labels = c("one", "two", "three")))',
      i_list: 'identical(i_list, list(first = 10:12, "x"))',
      i_df: 'identical(i_df, data.frame(a = c(1.5, 2.5), k = "same", d = as.Date(c("2016-01-05", NA))))',
    };
    for (const [name, check] of Object.entries(checks)) {
      expect([name, await conn.eval(check)]).toEqual([name, { type: 'logical', value: [true] }]);
    }
    expect(await conn.eval('format(i_posixct, "%Y-%m-%d %H:%M:%S", tz = "UTC")')).toEqual({ type: 'string', value: ['2011-10-05 20:13:14'] });
  });
});

describe('the R runtime through Rserve', () => {
  it('returns the execution result as a plain list', async () => {
    const results = path.join(rserve().dir, 'results1');
    const r = await conn.eval(
      `.deployr.execute("x <- c(1:3)\\nx\\nplot(x)\\nwarning('careful')\\nwriteLines('a', 'art.txt')", resultsDir = ${JSON.stringify(results)})`,
    );
    expect(str(listItem(r, 'console'))[0]).toBe(
      "\n> x <- c(1:3)\n\n> x\n[1] 1 2 3\n\n> plot(x)\n\n> warning('careful')\nWarning message:\ncareful\n\n> writeLines('a', 'art.txt')\n",
    );
    expect(listItem(r, 'error')).toEqual({ type: 'null' });
    expect(str(listItem(r, 'warnings'))).toEqual(['careful']);
    expect(str(listItem(r, 'plots'))).toEqual(['unnamedplot001.png']);
    expect(fs.existsSync(path.join(results, 'unnamedplot001.png'))).toBe(true);
    expect(str(listItem(listItem(r, 'artifacts'), 'name'))).toEqual(['art.txt']);
    expect(listItem(r, 'interrupted')).toEqual({ type: 'logical', value: [false] });
    expect(listItem(r, 'timeCode').type).toBe('double');
    // the workspace holds only the user's objects
    expect(await conn.eval('ls()')).toMatchObject({ type: 'string' });
    expect(str(await conn.eval('ls(globalenv())'))).not.toContain('.deployr.execute');
  });

  it('reports errors and sends revoEvent() and console chunks out of band', async () => {
    const messages: OobMessage[] = [];
    const onOob = (m: OobMessage) => messages.push(m);
    conn.on('oob', onOob);
    try {
      const r = await conn.eval('.deployr.execute("revoEvent(list(step = 1L))\\nstop(\'bad\')", consoleEvents = TRUE)');
      expect(str(listItem(r, 'error'))).toEqual(['Error: bad']);
      const events = messages.map((m) => m.value);
      expect(events[0]).toEqual({ type: 'list', value: [{ type: 'string', value: ['revoEvent'] }, { type: 'list', value: [{ type: 'integer', value: [1] }], attributes: { names: { type: 'string', value: ['step'] } } }] });
      const chunks = events.slice(1).map((e) => (e.type === 'list' && e.value[1].type === 'string' ? e.value[1].value[0] : null));
      expect(chunks.join('')).toBe(str(listItem(r, 'console'))[0]);
    } finally {
      conn.off('oob', onOob);
    }
  });
});
