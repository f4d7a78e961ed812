import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { isNaReal, type RValue } from '../../../server/engine/rserve/sexp';
import {
  InputEncodingError,
  csvValue,
  decodeCsvInputs,
  decodeInput,
  decodeInputs,
  type DecodedInput,
} from '../../../server/engine/encoding/from-markup';
import { encodeRObject } from '../../../server/engine/encoding/to-markup';
import { stringifyMarkup } from '../../../server/engine/encoding/json';
import { NA, chr, dataFrame, dbl, factor, int, lgl, list, matrix, posixct, rdate } from './fixtures';

function byName(inputs: DecodedInput[]): Record<string, RValue> {
  return Object.fromEntries(inputs.map((i) => [i.name, i.value]));
}

function one(markup: string): RValue {
  return decodeInputs(`{"x": ${markup}}`)[0].value;
}

/** Plain numbers of a double vector, NA as null. */
function doubles(v: RValue): (number | null)[] {
  if (v.type !== 'double') throw new Error(`not a double: ${v.type}`);
  return Array.from(v.value, (x, i) => (isNaReal(v.value, i) ? null : x));
}

function expectError(fn: () => unknown, inputName: string | null, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputEncodingError);
  const e = err as InputEncodingError;
  expect(e.inputName).toBe(inputName);
  expect(e.message).toMatch(message);
}

describe('decodeInputs: the reference input example', () => {
  const inputs = `{
    "x_character": { "type": "primitive", "value": "c" },
    "x_integer": { "type": "primitive", "value": 10 },
    "x_double": { "type": "primitive", "value": 5.5 },
    "x_logical": { "type": "primitive", "value": true },
    "x_date": { "type": "date", "value": "2011-10-04", "format": "yyyy-MM-dd" },
    "x_posixct": { "type": "date", "value": "2011-10-05 12:13:14 -0800", "format": "yyyy-MM-dd HH:mm:ss Z" },
    "x_character_vector": { "type": "vector", "value": ["a", "b", "c"] },
    "x_integer_vector": { "type": "vector", "value": [10, 11, 12] },
    "x_double_vector": { "type": "vector", "value": [10, 11.1, 12.2] },
    "x_matrix": { "type": "matrix", "value": [[1, 3, 12], [2, 11, 13]] },
    "x_ordered_factor": { "type": "factor", "ordered": true,
      "value": ["s","t","a","t","i","s","t","i","c","s"], "labels": ["s","t","a","c","i"] },
    "x_unordered_factor": { "type": "factor", "ordered": false,
      "value": ["s","t","a","t","i","s","t","i","c","s"], "labels": ["s","t","a","c","i"] },
    "x_list": { "type": "list", "value": [
      { "name": "first", "value": [10, 11, 12], "type": "vector" },
      { "name": "second", "value": [40, 41, 42], "type": "vector" } ] },
    "x_dataframe": { "type": "dataframe", "value": [
      { "name": "first", "value": [10, 11, 12], "type": "vector" },
      { "name": "second", "value": [40, 41, 42], "type": "vector" } ] }
  }`;
  const decoded = decodeInputs(inputs);
  const v = byName(decoded);

  it('keeps the inputs in order', () => {
    expect(decoded.map((d) => d.name)).toEqual([
      'x_character',
      'x_integer',
      'x_double',
      'x_logical',
      'x_date',
      'x_posixct',
      'x_character_vector',
      'x_integer_vector',
      'x_double_vector',
      'x_matrix',
      'x_ordered_factor',
      'x_unordered_factor',
      'x_list',
      'x_dataframe',
    ]);
  });

  it('decodes primitives (10 → integer, 5.5 → double)', () => {
    expect(v.x_character).toEqual(chr('c'));
    expect(v.x_integer).toEqual(int(10));
    expect(v.x_double).toEqual(dbl(5.5));
    expect(v.x_logical).toEqual(lgl(true));
  });

  it('decodes a Date and a POSIXct', () => {
    expect(v.x_date).toEqual(rdate(15251));
    // 2011-10-05 12:13:14 -0800 = 20:13:14 UTC
    expect(v.x_posixct).toEqual(posixct('', 1317845594));
  });

  it('decodes vectors and the matrix (rows in, column-major out)', () => {
    expect(v.x_character_vector).toEqual(chr('a', 'b', 'c'));
    expect(v.x_integer_vector).toEqual(int(10, 11, 12));
    expect(v.x_double_vector).toEqual(dbl(10, 11.1, 12.2));
    expect(v.x_matrix).toEqual(matrix(int(1, 2, 3, 11, 12, 13), 2, 3));
  });

  it('decodes factors with labels as their levels', () => {
    const codes = [1, 2, 3, 2, 5, 1, 2, 5, 4, 1];
    expect(v.x_ordered_factor).toEqual(factor(codes, ['s', 't', 'a', 'c', 'i'], true));
    expect(v.x_unordered_factor).toEqual(factor(codes, ['s', 't', 'a', 'c', 'i']));
  });

  it('decodes a named list and a data frame', () => {
    expect(v.x_list).toEqual(list([int(10, 11, 12), int(40, 41, 42)], ['first', 'second']));
    expect(v.x_dataframe).toEqual(dataFrame({ first: int(10, 11, 12), second: int(40, 41, 42) }));
  });
});

describe('decodeInputs: numbers and atomic types', () => {
  it('tells integers from doubles by how the number was written', () => {
    expect(one('{"value": 10}')).toEqual(int(10));
    expect(one('{"value": 10.0}')).toEqual(dbl(10));
    expect(one('{"value": 1e2}')).toEqual(dbl(100));
    expect(one('{"value": -7}')).toEqual(int(-7));
    expect(one('{"value": 3000000000}')).toEqual(dbl(3000000000));
    expect(one('{"type": "vector", "value": [1, 2.5, null]}')).toEqual(dbl(1, 2.5, NA));
  });

  it('follows rclass when given (Java and .NET send it)', () => {
    expect(one('{"type": "primitive", "rclass": "numeric", "value": 10}')).toEqual(dbl(10));
    expect(one('{"type": "primitive", "rclass": "integer", "value": 10.0}')).toEqual(int(10));
    expect(one('{"type": "vector", "rclass": "character", "value": ["a", null]}')).toEqual(chr('a', NA));
    expect(one('{"type": "vector", "rclass": "logical", "value": [true, null, false]}')).toEqual(lgl(true, NA, false));
    expect(one('{"type": "primitive", "rclass": "character", "value": null}')).toEqual(chr(NA));
    expect(one('{"type": "primitive", "rclass": "numeric", "value": null}')).toEqual(dbl(NA));
  });

  it('coerces mixed vectors like c() does', () => {
    expect(one('{"type": "vector", "value": [true, 2]}')).toEqual(int(1, 2));
    expect(one('{"type": "vector", "value": [true, 2.5]}')).toEqual(dbl(1, 2.5));
    expect(one('{"type": "vector", "value": [1, "a", true]}')).toEqual(chr('1', 'a', 'TRUE'));
    expect(one('{"type": "vector", "value": [null, null]}')).toEqual(lgl(NA, NA));
    expect(one('{"type": "vector", "value": []}')).toEqual(lgl());
  });

  it('reads back the markup written for NA, NaN and Inf', () => {
    const v = one('{"type": "vector", "value": [1.5, null, "NaN", "0x7ff0000000000000L", "0xfff0000000000000L", "-Inf"]}');
    expect(v.type).toBe('double');
    const d = doubles(v);
    expect(d[0]).toBe(1.5);
    expect(d[1]).toBeNull();
    expect(Number.isNaN(d[2])).toBe(true);
    expect(d.slice(3)).toEqual([Infinity, -Infinity, -Infinity]);
    expect(one('{"type": "vector", "value": ["NaN", "Inf"]}')).toEqual(chr('NaN', 'Inf'));
    expect(doubles(one('{"rclass": "numeric", "value": "Inf"}'))).toEqual([Infinity]);
  });

  it('accepts an omitted or null type as primitive', () => {
    expect(one('{"value": "x"}')).toEqual(chr('x'));
    expect(one('{"type": null, "value": false}')).toEqual(lgl(false));
    expect(one('{"value": null}')).toEqual(lgl(NA));
  });

  it('round-trips what encodeRObject writes', () => {
    const objects: RValue[] = [
      dbl(1, NA, Infinity, -Infinity),
      int(1, NA),
      chr('a', NA),
      lgl(true, NA),
      matrix(dbl(1.5, 2, 3, 4), 2, 2),
      factor([1, NA, 2], ['lo', 'hi'], true),
      rdate(15251, NA),
      list([dbl(1.5), chr('a', 'b')], ['x', 'y']),
      dataFrame({ a: dbl(1, 2), f: factor([2, 1], ['u', 'v']), d: rdate(0, 1) }),
    ];
    for (const value of objects) {
      const markup = stringifyMarkup(encodeRObject('x', value));
      const back = decodeInput('x', markup);
      expect(stringifyMarkup(encodeRObject('x', back))).toBe(markup);
    }
    // POSIXct comes back as an instant (tzone "")
    const ct = decodeInput('x', stringifyMarkup(encodeRObject('x', posixct('America/New_York', 1467390600))));
    expect(doubles(ct)).toEqual([1467390600]);
  });
});

describe('decodeInputs: dates', () => {
  it('accepts unpadded days and months, and any white space', () => {
    expect(one('{"type": "date", "value": "2016-01-5", "format": "yyyy-MM-dd"}')).toEqual(rdate(16805));
    expect(one('{"type": "date", "value": "2016-1-5", "format": "yyyy-MM-dd"}')).toEqual(rdate(16805));
    expect(one('{"type": "date", "value": "2016-01-5  10:11:12   -0800", "format": "yyyy-MM-dd HH:mm:ss Z"}')).toEqual(
      posixct('', 1452017472),
    );
  });

  it('reads zones written as -0800, -08:00, Z, GMT-08:00, PST, PDT and IANA names', () => {
    const at = (s: string): (number | null)[] =>
      doubles(one(`{"type": "date", "value": "${s}", "format": "yyyy-MM-dd HH:mm:ss z"}`));
    for (const s of [
      '2016-01-05 10:11:12 -0800',
      '2016-01-05 10:11:12 -08:00',
      '2016-01-05 10:11:12 GMT-08:00',
      '2016-01-05 10:11:12 PST',
      '2016-01-05 11:11:12 PDT',
      '2016-01-05 10:11:12 America/Los_Angeles',
      '2016-01-05 18:11:12 Z',
      '2016-01-05 18:11:12 UTC',
    ]) {
      expect([s, at(s)]).toEqual([s, [1452017472]]);
    }
  });

  it('takes Date or POSIXct from rclass, else from the format', () => {
    expect(one('{"type": "date", "rclass": "Date", "value": "2016-01-05 10:11:12 -0800", "format": "yyyy-MM-dd HH:mm:ss Z"}')).toEqual(
      rdate(16805),
    );
    expect(one('{"type": "date", "rclass": "POSIXct", "value": "2016-01-05", "format": "yyyy-MM-dd"}').attributes?.class).toEqual(
      chr('POSIXct', 'POSIXt'),
    );
    // a "yyyy-MM-dd" format ignores a time after the date, as SimpleDateFormat.parse does
    expect(one('{"type": "date", "value": "2011-10-05 12:13:14 -0800", "format": "yyyy-MM-dd"}')).toEqual(rdate(15252));
  });

  it('reads a date-time without zone in the given time zone (default: local)', () => {
    const v = decodeInputs('{"t": {"type": "date", "value": "2016-07-01 09:30:00", "format": "yyyy-MM-dd HH:mm:ss"}}', {
      timeZone: 'America/Los_Angeles',
    });
    expect(doubles(v[0].value)).toEqual([1467390600]);
    const local = one('{"type": "date", "value": "2016-07-01 09:30:00", "format": "yyyy-MM-dd HH:mm:ss"}');
    expect(doubles(local)).toEqual([new Date(2016, 6, 1, 9, 30, 0).getTime() / 1000]);
  });

  it('decodes date vectors (type vector + format) with NA', () => {
    expect(one('{"type": "vector", "value": ["2016-01-5", null, "2016-02-29"], "format": "yyyy-MM-dd"}')).toEqual(
      rdate(16805, NA, 16860),
    );
    expect(
      one('{"type": "vector", "rclass": "POSIXct", "value": ["2016-01-05 10:11:12 -0800"], "format": "yyyy-MM-dd HH:mm:ss Z"}'),
    ).toEqual(posixct('', 1452017472));
  });

  it('understands other Java patterns (text months, 12-hour clock, quoted literals)', () => {
    expect(one('{"type": "date", "value": "05 Jan 2016", "format": "dd MMM yyyy"}')).toEqual(rdate(16805));
    expect(doubles(one('{"type": "date", "value": "1/5/2016 6:11:12 PM +0000", "format": "M/d/yyyy h:mm:ss a Z"}'))).toEqual([
      1452017472,
    ]);
    expect(doubles(one(`{"type": "date", "value": "2016-01-05T18:11:12Z", "format": "yyyy-MM-dd'T'HH:mm:ssX"}`))).toEqual([
      1452017472,
    ]);
  });

  it('falls back to common shapes when the value does not match its format (.NET DateTime.ToString())', () => {
    expect(one('{"rclass": "date", "type": "date", "format": "yyyy-MM-dd", "value": "1/5/2016 12:00:00 AM"}')).toEqual(rdate(16805));
    expect(one('{"type": "date", "value": "2016-01-05T18:11:12Z", "format": "dd.MM.yyyy"}').attributes?.class).toEqual(chr('Date'));
  });

  it('rejects what is not a date', () => {
    expectError(() => one('{"type": "date", "value": "tomorrow", "format": "yyyy-MM-dd"}'), 'x', /does not match date format/);
    expectError(() => one('{"type": "date", "value": "2016-02-30", "format": "yyyy-MM-dd"}'), 'x', /does not match/);
    expectError(() => one('{"type": "date", "value": 1452017472, "format": "yyyy-MM-dd"}'), 'x', /must be a string/);
    expectError(() => one('{"type": "date", "value": "2016-01-05", "format": "yyyy-MM-dd QQ"}'), 'x', /unsupported letter 'Q'/);
  });
});

describe('decodeInputs: factors, matrices, lists, data frames', () => {
  it('applies levels and labels like factor(x, levels, labels) (Java client)', () => {
    const f = one('{"type": "factor", "rclass": "factor", "value": ["1", "3", "2", "2"], "levels": ["1", "2", "3"], "labels": ["one", "two", "three"], "ordered": false}');
    expect(f).toEqual(factor([1, 3, 2, 2], ['one', 'two', 'three']));
  });

  it('sorts the levels when none are given, numerically for numbers', () => {
    expect(one('{"type": "factor", "value": ["b", "a", null, "b"]}')).toEqual(factor([2, 1, NA, 2], ['a', 'b']));
    expect(one('{"type": "factor", "value": [10, 9, 10]}')).toEqual(factor([2, 1, 2], ['9', '10']));
    expect(one('{"type": "factor", "rclass": "ordered", "value": ["x"]}')).toEqual(factor([1], ['x'], true));
  });

  it('turns values outside the levels into NA and merges duplicated labels', () => {
    expect(one('{"type": "factor", "value": ["a", "z"], "levels": ["a", "b"]}')).toEqual(factor([1, NA], ['a', 'b']));
    expect(one('{"type": "factor", "value": ["a", "b", "c"], "levels": ["a", "b", "c"], "labels": ["x", "x", "y"]}')).toEqual(
      factor([1, 1, 2], ['x', 'y']),
    );
    expect(one('{"type": "factor", "value": ["a", "b"], "levels": ["a", "b"], "labels": ["L"]}')).toEqual(factor([1, 2], ['L1', 'L2']));
  });

  it('decodes matrices of every atomic type', () => {
    expect(one('{"type": "matrix", "value": [[1.5, 2], [3, 4]]}')).toEqual(matrix(dbl(1.5, 3, 2, 4), 2, 2));
    expect(one('{"type": "matrix", "value": [["a", null], ["c", "d"]]}')).toEqual(matrix(chr('a', 'c', NA, 'd'), 2, 2));
    expect(one('{"type": "matrix", "value": [[true], [false]]}')).toEqual(matrix(lgl(true, false), 2, 1));
    expect(one('{"type": "matrix", "value": []}')).toEqual(matrix(lgl(), 0, 0));
  });

  it('decodes nested lists, unnamed elements without names', () => {
    expect(
      one('{"type": "list", "value": [{"value": 1}, {"type": "list", "value": [{"type": "vector", "value": ["a", "b"]}]}]}'),
    ).toEqual(list([int(1), list([chr('a', 'b')])]));
    expect(one('{"type": "list", "value": [{"name": "a", "value": 1}, {"value": 2}]}')).toEqual(list([int(1), int(2)], ['a', '']));
  });

  it('decodes data frames: recycles length-1 columns, splices nested data frames', () => {
    const df = one(`{"type": "dataframe", "value": [
      {"name": "n", "type": "vector", "value": [1.5, 2.5, null]},
      {"name": "k", "type": "primitive", "value": "same"},
      {"name": "inner", "type": "dataframe", "value": [{"name": "f", "type": "factor", "value": ["u", "v", "u"]}]},
      {"name": "d", "type": "vector", "value": ["2016-01-5", "2016-01-6", null], "format": "yyyy-MM-dd"}
    ]}`);
    expect(df).toEqual(
      dataFrame({
        n: dbl(1.5, 2.5, NA),
        k: chr('same', 'same', 'same'),
        f: factor([1, 2, 1], ['u', 'v']),
        d: rdate(16805, 16806, NA),
      }),
    );
    expect(one('{"type": "dataframe", "value": []}')).toEqual({
      type: 'list',
      value: [],
      attributes: { names: chr(), class: chr('data.frame'), 'row.names': int() },
    });
  });

  it('keeps NA doubles recycled as NA', () => {
    const df = one('{"type": "dataframe", "value": [{"name": "a", "value": [1, 2]}, {"name": "b", "rclass": "numeric", "value": null}]}');
    expect(df.type === 'list' && doubles(df.value[1])).toEqual([null, null]);
  });
});

describe('decodeInputs: what the official clients send', () => {
  it('decodes the JS client (deployr on npm) encoder output', () => {
    // Run the client's own encoder in a process whose local time zone is Los Angeles.
    const script = `
      const RInput = require('deployr/lib/rinput');
      const encoder = require('deployr/lib/encoder');
      const r = (name, value, opts) => RInput.new(name, value, opts);
      const d = new Date(2016, 0, 5, 10, 11, 12);
      process.stdout.write(encoder.encode([
        r('n', 5.5).numeric(),
        r('i', 5).integer(),
        r('b', true).logical(),
        r('s', 'x').character(),
        r('d', d).date(),
        r('p', d).posixct(),
        r('dv', [d, new Date(2016, 1, 29)]).dateVector(),
        r('pv', [d]).posixctVector(),
        r('f', ['a', 'b'], { levels: ['a', 'b', 'c'] }).factor(),
        r('o', ['lo', 'hi'], { levels: ['lo', 'hi'], labels: ['L', 'H'] }).ordered(),
        r('lab', ['s', 't'], { labels: ['t', 's'] }).factor(),
        r('m', [[1, 2], [3, 4]]).numericMatrix(),
        r('cm', [['a', 'b']]).characterMatrix(),
        r('l', [r('x', 1.5).numeric(), r('d', d).date(), r('v', [1, 2]).numericVector()]).list(),
        r('df', [
          r('a', [1, 2]).numericVector(),
          r('inner', [r('c', ['u', 'v']).characterVector()]).dataframe(),
          r('dd', [d, d]).dateVector(),
        ]).dataframe(),
      ]));`;
    const json = execFileSync(process.execPath, ['-e', script], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, TZ: 'America/Los_Angeles' },
      encoding: 'utf8',
    });
    expect(json).toContain('"value":"2016-01-5"');
    expect(json).toContain('"value":"2016-01-5 10:11:12 -0800"');
    const v = byName(decodeInputs(json));
    expect(v.n).toEqual(dbl(5.5));
    expect(v.i).toEqual(int(5));
    expect(v.b).toEqual(lgl(true));
    expect(v.s).toEqual(chr('x'));
    expect(v.d).toEqual(rdate(16805));
    expect(v.p).toEqual(posixct('', 1452017472));
    expect(v.dv).toEqual(rdate(16805, 16860));
    expect(v.pv).toEqual(posixct('', 1452017472));
    expect(v.f).toEqual(factor([1, 2], ['a', 'b', 'c']));
    expect(v.o).toEqual(factor([1, 2], ['L', 'H'], true));
    expect(v.lab).toEqual(factor([2, 1], ['t', 's']));
    expect(v.m).toEqual(matrix(int(1, 3, 2, 4), 2, 2));
    expect(v.cm).toEqual(matrix(chr('a', 'b'), 1, 2));
    expect(v.l).toEqual(list([dbl(1.5), rdate(16805), int(1, 2)], ['x', 'd', 'v']));
    expect(v.df).toEqual(dataFrame({ a: int(1, 2), c: chr('u', 'v'), dd: rdate(16805, 16805) }));
  });

  it('decodes the Java client (RDataUtil.toJSON) shapes', () => {
    const json = `{
      "d1": {"type": "primitive", "rclass": "numeric", "value": 10.0},
      "b1": {"type": "primitive", "rclass": "logical", "value": false},
      "dv": {"type": "vector", "rclass": "numeric", "value": [10.0, 20.0]},
      "d": {"type": "date", "rclass": "Date", "value": "2010-04-02", "format": "yyyy-MM-dd"},
      "t": {"type": "date", "rclass": "POSIXct", "value": "2010-04-02 10:30:30 PDT", "format": "yyyy-MM-dd HH:mm:ss z"},
      "tv": {"type": "vector", "rclass": "POSIXct", "value": ["2011-02-01 00:00:00 UTC", null], "format": "yyyy-MM-dd HH:mm:ss z"},
      "fact": {"type": "factor", "rclass": "factor", "value": ["1", "3", "2"], "levels": ["1", "2", "3"], "labels": ["one", "two", "three"], "ordered": false},
      "bm": {"type": "matrix", "rclass": "matrix", "value": [[true, false], [false, true]]},
      "l": {"type": "list", "rclass": "list", "value": [
        {"name": "d1", "type": "primitive", "rclass": "numeric", "value": 2.0},
        {"name": "d2", "type": "primitive", "rclass": "numeric", "value": 3.0}]},
      "df": {"type": "dataframe", "rclass": "data.frame", "value": [
        {"name": "d1", "type": "vector", "rclass": "numeric", "value": [1.0, 2.0]},
        {"name": "DateTestVector", "type": "vector", "rclass": "Date", "value": ["2016-01-05", "2016-01-06"], "format": "yyyy-MM-dd"}]}
    }`;
    const v = byName(decodeInputs(json));
    expect(v.d1).toEqual(dbl(10));
    expect(v.b1).toEqual(lgl(false));
    expect(v.dv).toEqual(dbl(10, 20));
    expect(v.d).toEqual(rdate(14701));
    // 10:30:30 PDT = 17:30:30 UTC
    expect(v.t).toEqual(posixct('', Date.UTC(2010, 3, 2, 17, 30, 30) / 1000));
    expect(v.tv).toEqual(posixct('', Date.UTC(2011, 1, 1) / 1000, NA));
    expect(v.fact).toEqual(factor([1, 3, 2], ['one', 'two', 'three']));
    expect(v.bm).toEqual(matrix(lgl(true, false, false, true), 2, 2));
    expect(v.l).toEqual(list([dbl(2), dbl(3)], ['d1', 'd2']));
    expect(v.df).toEqual(dataFrame({ d1: dbl(1, 2), DateTestVector: rdate(16805, 16806) }));
  });

  it('decodes the .NET client shapes (rclass "date", name after value)', () => {
    const json = `{
      "x": {"rclass": "numeric", "type": "vector", "value": [1.0, null, 3.5]},
      "dt": {"rclass": "date", "type": "date", "format": "yyyy-MM-dd", "value": "2016-01-05"},
      "dtv": {"rclass": "date", "type": "vector", "format": "yyyy-MM-dd HH:mm:ss Z", "value": ["2016-01-05 10:11:12 -0800"]},
      "f": {"rclass": "factor", "type": "factor", "ordered": true, "labels": ["a", "b"], "levels": ["x", "y"], "value": ["y", "x"]},
      "l": {"rclass": "list", "type": "list", "value": [{"rclass": "character", "type": "primitive", "value": "v", "name": "first"}]}
    }`;
    const v = byName(decodeInputs(json));
    expect(v.x).toEqual(dbl(1, NA, 3.5));
    expect(v.dt).toEqual(rdate(16805));
    expect(v.dtv).toEqual(posixct('', 1452017472));
    expect(v.f).toEqual(factor([2, 1], ['a', 'b'], true));
    expect(v.l).toEqual(list([chr('v')], ['first']));
  });

  it('accepts an already parsed object (whole numbers then count as integers)', () => {
    expect(byName(decodeInputs({ a: { value: 2 }, b: { type: 'vector', value: [1.5, 2] } }))).toEqual({ a: int(2), b: dbl(1.5, 2) });
  });
});

describe('decodeInputs: malformed inputs throw before anything is returned', () => {
  it('names the parameter or the offending input', () => {
    expectError(() => decodeInputs('{"a": {"value": 1}, "b": '), null, /not valid JSON/);
    expectError(() => decodeInputs('[1, 2]'), null, /must be a JSON object/);
    expectError(() => decodeInputs('{"a": {"value": 1}, "b": 5}'), 'b', /expected an encoded object/);
    expectError(() => decodeInputs('{"a": {"type": "vector"}}'), 'a', /missing "value"/);
    expectError(() => decodeInputs('{"a": {"type": "tensor", "value": 1}}'), 'a', /unknown type "tensor"/);
    expectError(() => decodeInputs('{"a": {"type": 5, "value": 1}}'), 'a', /"type" must be a string/);
    expectError(() => decodeInputs('{"": {"value": 1}}'), '', /needs a name/);
  });

  it('rejects malformed values of every type', () => {
    expectError(() => one('{"value": {"a": 1}}'), 'x', /primitive value must be/);
    expectError(() => one('{"type": "vector", "value": [1, [2]]}'), 'x', /vector element must be/);
    expectError(() => one('{"type": "vector", "rclass": "logical", "value": ["maybe"]}'), 'x', /is not a logical/);
    expectError(() => one('{"type": "vector", "rclass": "integer", "value": [1.5]}'), 'x', /is not an integer/);
    expectError(() => one('{"type": "vector", "rclass": "numeric", "value": ["abc"]}'), 'x', /is not a number/);
    expectError(() => one('{"type": "matrix", "value": [[1, 2], [3]]}'), 'x', /row 2 has 1 elements/);
    expectError(() => one('{"type": "matrix", "value": [1, 2]}'), 'x', /row must be an array/);
    expectError(() => one('{"type": "factor", "value": ["a"], "levels": ["a", "a"]}'), 'x', /level \[2\] is duplicated/);
    expectError(() => one('{"type": "factor", "value": ["a"], "levels": ["a", "b"], "labels": ["x", "y", "z"]}'), 'x', /invalid 'labels'/);
    expectError(() => one('{"type": "factor", "value": ["a"], "ordered": "sometimes"}'), 'x', /"ordered" must be true or false/);
    expectError(() => one('{"type": "list", "value": "abc"}'), 'x', /list value must be an array/);
    expectError(() => one('{"type": "list", "value": [1]}'), 'x', /expected an encoded object/);
    expectError(
      () => one('{"type": "dataframe", "value": [{"name": "a", "value": [1, 2]}, {"name": "b", "value": [1, 2, 3]}]}'),
      'x',
      /differing number of rows: 2, 3/,
    );
    expectError(() => one('{"type": "dataframe", "value": [{"name": "m", "type": "matrix", "value": [[1]]}]}'), 'x', /data frame column/);
  });

  it('reports the path inside nested inputs', () => {
    expectError(
      () => one('{"type": "list", "value": [{"name": "outer", "type": "list", "value": [{"name": "bad", "type": "matrix", "value": 3}]}]}'),
      'x',
      /input "x\$outer\$bad": a matrix value must be an array of rows/,
    );
  });
});

describe('decodeCsvInputs', () => {
  it('reads name,value pairs as R reads primitives', () => {
    const v = byName(decodeCsvInputs('n,10,d, 2.5 ,b,TRUE,f,F,s,hello world,e,1e3,big,3000000000,na,NA,inf,-Inf,hex,0x1A,neg,-3'));
    expect(v.n).toEqual(int(10));
    expect(v.d).toEqual(dbl(2.5));
    expect(v.b).toEqual(lgl(true));
    expect(v.f).toEqual(lgl(false));
    expect(v.s).toEqual(chr('hello world'));
    expect(v.e).toEqual(dbl(1000));
    expect(v.big).toEqual(dbl(3000000000));
    expect(v.na).toEqual(lgl(NA));
    expect(v.inf).toEqual(dbl(-Infinity));
    expect(v.hex).toEqual(int(26));
    expect(v.neg).toEqual(int(-3));
    expect(csvValue('1.5abc')).toEqual(chr('1.5abc'));
    expect(decodeCsvInputs('')).toEqual([]);
  });

  it('rejects an odd number of items and empty names', () => {
    expectError(() => decodeCsvInputs('a,1,b'), null, /name,value pairs/);
    expectError(() => decodeCsvInputs('a,1, ,2'), '', /needs a name/);
  });
});
