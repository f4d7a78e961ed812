import { doublesFrom, type RValue } from '../../../server/engine/rserve/sexp';
import {
  encodeRObject,
  encodingTypeOf,
  rclassOf,
  summarizeRObject,
} from '../../../server/engine/encoding/to-markup';
import { hasDoubleValues, stringifyMarkup } from '../../../server/engine/encoding/json';
import type { EncodedRObject } from '../../../server/engine/encoding/types';
import {
  NA,
  chr,
  cls,
  dataFrame,
  dbl,
  factor,
  int,
  lgl,
  list,
  matrix,
  posixct,
  rdate,
  withAttrs,
} from './fixtures';

/** 10:15 etc. */
function intRange(from: number, to: number): RValue {
  return int(...Array.from({ length: to - from + 1 }, (_, i) => from + i));
}

function valueOf(e: EncodedRObject): unknown {
  if (!('value' in e)) throw new Error(`${e.name} has no value`);
  return e.value;
}

const STATISTICS = 'statistics'.split('');
const STAT_LEVELS = ['s', 't', 'a', 'c', 'i'];
const statCodes = STATISTICS.map((ch) => STAT_LEVELS.indexOf(ch) + 1);

describe('encodeRObject: the reference examples', () => {
  it('encodes primitives', () => {
    expect(encodeRObject('x_character', chr('c'))).toEqual({ name: 'x_character', type: 'primitive', rclass: 'character', value: 'c' });
    expect(encodeRObject('x_integer', int(10))).toEqual({ name: 'x_integer', type: 'primitive', rclass: 'integer', value: 10 });
    expect(encodeRObject('x_numeric', dbl(5))).toEqual({ name: 'x_numeric', type: 'primitive', rclass: 'numeric', value: 5 });
    expect(encodeRObject('x_logical', lgl(true))).toEqual({ name: 'x_logical', type: 'primitive', rclass: 'logical', value: true });
  });

  it('keeps the property order of the reference markup', () => {
    expect(Object.keys(encodeRObject('a', chr('c')))).toEqual(['name', 'type', 'rclass', 'value']);
    expect(Object.keys(encodeRObject('d', rdate(15251)))).toEqual(['name', 'type', 'rclass', 'value', 'format']);
    expect(Object.keys(encodeRObject('f', factor([1], ['a'])))).toEqual([
      'name',
      'type',
      'rclass',
      'value',
      'labels',
      'levels',
      'ordered',
    ]);
    expect(Object.keys(summarizeRObject('x', chr('c')))).toEqual(['branch', 'rclass', 'name', 'type', 'xdf']);
  });

  it('encodes a Date and a POSIXct', () => {
    expect(encodeRObject('x_date', rdate(15251))).toEqual({
      name: 'x_date',
      type: 'date',
      rclass: 'Date',
      value: '2011-10-04',
      format: 'yyyy-MM-dd',
    });
    expect(encodeRObject('x_posixct', posixct('UTC', 1317816794))).toEqual({
      name: 'x_posixct',
      type: 'date',
      rclass: 'POSIXct',
      value: '2011-10-05 12:13:14 +0000',
      format: 'yyyy-MM-dd HH:mm:ss Z',
    });
  });

  it('encodes vectors', () => {
    expect(encodeRObject('x_character_vector', chr('a', 'b', 'c'))).toEqual({
      name: 'x_character_vector',
      type: 'vector',
      rclass: 'character',
      value: ['a', 'b', 'c'],
    });
    expect(encodeRObject('x_integer_vector', intRange(10, 15))).toEqual({
      name: 'x_integer_vector',
      type: 'vector',
      rclass: 'integer',
      value: [10, 11, 12, 13, 14, 15],
    });
    expect(encodeRObject('x_numeric_vector', dbl(10, 11, 12))).toEqual({
      name: 'x_numeric_vector',
      type: 'vector',
      rclass: 'numeric',
      value: [10, 11, 12],
    });
    expect(encodeRObject('empty', chr())).toEqual({ name: 'empty', type: 'vector', rclass: 'character', value: [] });
  });

  it('encodes a matrix as an array of rows', () => {
    // matrix(c(1,2,3, 11,12,13), nrow = 2, ncol = 3), filled by column
    const m = matrix(dbl(1, 2, 3, 11, 12, 13), 2, 3);
    expect(encodeRObject('x_matrix', m)).toEqual({
      name: 'x_matrix',
      type: 'matrix',
      rclass: 'matrix',
      value: [
        [1, 3, 12],
        [2, 11, 13],
      ],
    });
    expect(valueOf(encodeRObject('cm', matrix(chr('a', NA, 'c', 'd'), 2, 2)))).toEqual([
      ['a', 'c'],
      [null, 'd'],
    ]);
    expect(valueOf(encodeRObject('lm', matrix(lgl(true, false), 1, 2)))).toEqual([[true, false]]);
    expect(encodeRObject('t', withAttrs(matrix(int(1, 2, 3, 4), 2, 2), cls('table')))).toMatchObject({
      type: 'matrix',
      rclass: 'table',
    });
  });

  it('encodes ordered and unordered factors', () => {
    expect(encodeRObject('x_ordered_factor', factor(statCodes, STAT_LEVELS, true))).toEqual({
      name: 'x_ordered_factor',
      type: 'factor',
      rclass: 'ordered',
      value: STATISTICS,
      labels: STAT_LEVELS,
      levels: STAT_LEVELS,
      ordered: true,
    });
    expect(encodeRObject('x_unordered_factor', factor(statCodes, STAT_LEVELS))).toEqual({
      name: 'x_unordered_factor',
      type: 'factor',
      rclass: 'factor',
      value: STATISTICS,
      labels: STAT_LEVELS,
      levels: STAT_LEVELS,
      ordered: false,
    });
    // a factor of length 1 is still a factor; NA codes are null
    expect(valueOf(encodeRObject('f', factor([NA, 2], ['a', 'b'])))).toEqual([null, 'b']);
    expect(encodeRObject('f1', factor([1], ['a'])).type).toBe('factor');
  });

  it('encodes an unnamed list with elements named by position', () => {
    expect(encodeRObject('x_list', list([intRange(10, 15), intRange(40, 45)]))).toEqual({
      name: 'x_list',
      type: 'list',
      rclass: 'list',
      value: [
        { name: '1', type: 'vector', rclass: 'integer', value: [10, 11, 12, 13, 14, 15] },
        { name: '2', type: 'vector', rclass: 'integer', value: [40, 41, 42, 43, 44, 45] },
      ],
    });
  });

  it('encodes a data frame column by column', () => {
    const df = dataFrame({ 'c.10.15.': dbl(10, 11, 12), 'c.40.45.': dbl(40, 41, 42) });
    expect(encodeRObject('x_dataframe', df)).toEqual({
      name: 'x_dataframe',
      type: 'dataframe',
      rclass: 'data.frame',
      value: [
        { name: 'c.10.15.', type: 'vector', rclass: 'numeric', value: [10, 11, 12] },
        { name: 'c.40.45.', type: 'vector', rclass: 'numeric', value: [40, 41, 42] },
      ],
    });
  });
});

describe('encodeRObject: NA, NaN and Inf', () => {
  const special = dbl(1.5, NA, NaN, Infinity, -Infinity);

  it('writes NA of every type as null', () => {
    expect(valueOf(encodeRObject('l', lgl(true, NA)))).toEqual([true, null]);
    expect(valueOf(encodeRObject('i', int(1, NA)))).toEqual([1, null]);
    expect(valueOf(encodeRObject('s', chr('a', NA)))).toEqual(['a', null]);
    expect(valueOf(encodeRObject('d', dbl(NA)))).toBeNull();
    expect(valueOf(encodeRObject('date', rdate(NA)))).toBeNull();
    expect(valueOf(encodeRObject('ct', posixct('UTC', NA, 0)))).toEqual([null, '1970-01-01 00:00:00 +0000']);
  });

  it('uses the defaults: NaN → null, Inf → 0x7ff0000000000000L, -Inf → 0xfff0000000000000L', () => {
    expect(valueOf(encodeRObject('x', special))).toEqual([1.5, null, null, '0x7ff0000000000000L', '0xfff0000000000000L']);
  });

  it('uses the nan and infinity options', () => {
    expect(valueOf(encodeRObject('x', special, { nan: 'NaN', infinity: 'Infinity' }))).toEqual([
      1.5,
      null,
      'NaN',
      'Infinity',
      '-Infinity',
    ]);
    expect(valueOf(encodeRObject('x', special, { nan: '0', infinity: '1e308' }))).toEqual([1.5, null, 0, 1e308, -1e308]);
    expect(valueOf(encodeRObject('x', special, { infinity: '-big' }))).toEqual([1.5, null, null, '-big', 'big']);
    // an empty parameter counts as not given
    expect(valueOf(encodeRObject('x', special, { nan: '', infinity: '' }))).toEqual([
      1.5,
      null,
      null,
      '0x7ff0000000000000L',
      '0xfff0000000000000L',
    ]);
  });

  it('applies the options in matrices, lists and data frames', () => {
    const opts = { nan: 'NaN', infinity: 'Inf' };
    expect(valueOf(encodeRObject('m', matrix(dbl(NaN, Infinity), 1, 2), opts))).toEqual([['NaN', 'Inf']]);
    const l = encodeRObject('l', list([dbl(-Infinity)], ['a']), opts);
    expect(l.type === 'list' && l.value[0]).toEqual({ name: 'a', type: 'primitive', rclass: 'numeric', value: '-Inf' });
    const df = encodeRObject('df', dataFrame({ x: dbl(NaN, 1) }), opts);
    expect(df.type === 'dataframe' && df.value[0]).toMatchObject({ value: ['NaN', 1] });
  });

  it('tells NA from NaN by the bit pattern', () => {
    const v = doublesFrom([NA]);
    const nanv = new Float64Array([NaN]);
    expect(valueOf(encodeRObject('a', { type: 'double', value: v }, { nan: 'NaN' }))).toBeNull();
    expect(valueOf(encodeRObject('b', { type: 'double', value: nanv }, { nan: 'NaN' }))).toBe('NaN');
  });
});

describe('encodeRObject: dates and times', () => {
  it('formats POSIXct in the object\'s time zone', () => {
    // as.POSIXct("2016-07-01 09:30:00", tz = "America/Los_Angeles"): daylight saving time
    expect(valueOf(encodeRObject('t', posixct('America/Los_Angeles', 1467390600)))).toBe('2016-07-01 09:30:00 -0700');
    // as.POSIXct("2016-01-05 10:11:12", tz = "America/Los_Angeles"): standard time
    expect(valueOf(encodeRObject('t', posixct('America/Los_Angeles', 1452017472)))).toBe('2016-01-05 10:11:12 -0800');
    expect(valueOf(encodeRObject('t', posixct('Asia/Kolkata', 0)))).toBe('1970-01-01 05:30:00 +0530');
  });

  it('formats POSIXct without (or with an unknown) tzone in UTC, dropping fractions of seconds', () => {
    expect(valueOf(encodeRObject('t', posixct(null, 1317816794.75)))).toBe('2011-10-05 12:13:14 +0000');
    expect(valueOf(encodeRObject('t', posixct('', -0.5)))).toBe('1969-12-31 23:59:59 +0000');
    expect(valueOf(encodeRObject('t', posixct('Not/AZone', 0)))).toBe('1970-01-01 00:00:00 +0000');
  });

  it('encodes Date and POSIXct vectors as vectors with a format', () => {
    expect(encodeRObject('dv', rdate(15251, -3594, NA))).toEqual({
      name: 'dv',
      type: 'vector',
      rclass: 'Date',
      value: ['2011-10-04', '1960-02-29', null],
      format: 'yyyy-MM-dd',
    });
    expect(encodeRObject('tv', posixct('UTC', 0, 86400.5))).toEqual({
      name: 'tv',
      type: 'vector',
      rclass: 'POSIXct',
      value: ['1970-01-01 00:00:00 +0000', '1970-01-02 00:00:00 +0000'],
      format: 'yyyy-MM-dd HH:mm:ss Z',
    });
  });

  it('encodes an integer-backed Date', () => {
    expect(valueOf(encodeRObject('d', withAttrs(int(15251), cls('Date'))))).toBe('2011-10-04');
  });

  it('encodes POSIXlt from its fields', () => {
    // as.POSIXlt("2016-07-01 09:30:15", tz = "America/New_York")
    const lt = withAttrs(
      list(
        [dbl(15), int(30), int(9), int(1), int(6), int(116), int(5), int(182), int(1), chr('EDT'), int(NA)],
        ['sec', 'min', 'hour', 'mday', 'mon', 'year', 'wday', 'yday', 'isdst', 'zone', 'gmtoff'],
      ),
      { class: chr('POSIXlt', 'POSIXt'), tzone: chr('America/New_York', 'EST', 'EDT') },
    );
    expect(encodeRObject('lt', lt)).toEqual({
      name: 'lt',
      type: 'date',
      rclass: 'POSIXlt',
      value: '2016-07-01 09:30:15 -0400',
      format: 'yyyy-MM-dd HH:mm:ss Z',
    });
    // with gmtoff known, and two elements (one NA), out-of-range mday normalised like R
    const lt2 = withAttrs(
      list([dbl(0, NA), int(0, 0), int(12, 0), int(32, 1), int(0, 0), int(100, 100), int(3600, NA)], [
        'sec',
        'min',
        'hour',
        'mday',
        'mon',
        'year',
        'gmtoff',
      ]),
      { class: chr('POSIXlt', 'POSIXt'), tzone: chr('') },
    );
    expect(valueOf(encodeRObject('lt2', lt2))).toEqual(['2000-02-01 12:00:00 +0100', null]);
  });
});

describe('encodeRObject: nesting, data frames, fallbacks', () => {
  it('encodes nested lists to any depth, naming unnamed elements by position', () => {
    const inner = list([dbl(1.5), chr('x', 'y')], ['a', '']);
    const outer = list([inner, list([list([lgl(true)])])], ['inner', NA]);
    expect(encodeRObject('nested', outer)).toEqual({
      name: 'nested',
      type: 'list',
      rclass: 'list',
      value: [
        {
          name: 'inner',
          type: 'list',
          rclass: 'list',
          value: [
            { name: 'a', type: 'primitive', rclass: 'numeric', value: 1.5 },
            { name: '2', type: 'vector', rclass: 'character', value: ['x', 'y'] },
          ],
        },
        {
          name: '2',
          type: 'list',
          rclass: 'list',
          value: [{ name: '1', type: 'list', rclass: 'list', value: [{ name: '1', type: 'primitive', rclass: 'logical', value: true }] }],
        },
      ],
    });
  });

  it('encodes data frames with factor, date and character columns', () => {
    const df = dataFrame({
      f: factor([1, 2, 1], ['lo', 'hi']),
      d: rdate(0, 1, NA),
      s: chr('a', 'b', NA),
    });
    expect(valueOf(encodeRObject('df', df))).toEqual([
      { name: 'f', type: 'factor', rclass: 'factor', value: ['lo', 'hi', 'lo'], labels: ['lo', 'hi'], levels: ['lo', 'hi'], ordered: false },
      { name: 'd', type: 'vector', rclass: 'Date', value: ['1970-01-01', '1970-01-02', null], format: 'yyyy-MM-dd' },
      { name: 's', type: 'vector', rclass: 'character', value: ['a', 'b', null] },
    ]);
  });

  it('encodes the columns of a one-row data frame as primitives unless encodeDataFramePrimitiveAsVector', () => {
    const df = dataFrame({ n: dbl(1.5), d: rdate(0), f: factor([1], ['a']) });
    expect(valueOf(encodeRObject('df', df))).toEqual([
      { name: 'n', type: 'primitive', rclass: 'numeric', value: 1.5 },
      { name: 'd', type: 'date', rclass: 'Date', value: '1970-01-01', format: 'yyyy-MM-dd' },
      { name: 'f', type: 'factor', rclass: 'factor', value: ['a'], labels: ['a'], levels: ['a'], ordered: false },
    ]);
    expect(valueOf(encodeRObject('df', df, { encodeDataFramePrimitiveAsVector: true }))).toEqual([
      { name: 'n', type: 'vector', rclass: 'numeric', value: [1.5] },
      { name: 'd', type: 'vector', rclass: 'Date', value: ['1970-01-01'], format: 'yyyy-MM-dd' },
      { name: 'f', type: 'factor', rclass: 'factor', value: ['a'], labels: ['a'], levels: ['a'], ordered: false },
    ]);
    // the option is about data frame columns only
    expect(encodeRObject('l', list([dbl(1)], ['x']), { encodeDataFramePrimitiveAsVector: true })).toMatchObject({
      value: [{ type: 'primitive' }],
    });
  });

  it('encodes a data frame inside a list and a list column', () => {
    const df = dataFrame({ a: int(1, 2) });
    const l = list([df], ['df']);
    expect(encodeRObject('l', l)).toMatchObject({
      type: 'list',
      value: [{ name: 'df', type: 'dataframe', rclass: 'data.frame', value: [{ name: 'a', type: 'vector', value: [1, 2] }] }],
    });
  });

  it('encodes S3 objects built on lists as lists with their class', () => {
    const fit = withAttrs(list([dbl(1, 2), int(3)], ['coefficients', 'rank']), cls('lm'));
    expect(encodeRObject('fit', fit)).toMatchObject({ type: 'list', rclass: 'lm', value: [{ name: 'coefficients' }, { name: 'rank' }] });
    expect(encodeRObject('dt', withAttrs(dbl(1.5), cls('difftime')))).toEqual({
      name: 'dt',
      type: 'primitive',
      rclass: 'difftime',
      value: 1.5,
    });
  });

  it('encodes NULL as a primitive null', () => {
    expect(encodeRObject('n', { type: 'null' })).toEqual({ name: 'n', type: 'primitive', rclass: 'NULL', value: null });
  });

  it('encodes what has no DeployR encoding as name, type "unsupported", rclass', () => {
    const cases: [RValue, string][] = [
      [{ type: 'opaque', rtype: 'closure' }, 'function'],
      [{ type: 'opaque', rtype: 'builtin' }, 'function'],
      [{ type: 'opaque', rtype: 'environment' }, 'environment'],
      [{ type: 'opaque', rtype: 'S4', attributes: cls('Person') }, 'Person'],
      [{ type: 'opaque', rtype: 'externalptr' }, 'externalptr'],
      [{ type: 'complex', re: new Float64Array([1]), im: new Float64Array([2]) }, 'complex'],
      [{ type: 'raw', value: Buffer.from([1, 2]) }, 'raw'],
      [{ type: 'symbol', name: 'x' }, 'name'],
      [{ type: 'pairlist', value: [{ tag: null, value: { type: 'symbol', name: 'f' } }], attributes: cls('formula') }, 'formula'],
      [withAttrs(dbl(1, 2, 3, 4, 5, 6, 7, 8), { dim: int(2, 2, 2) }), 'array'],
    ];
    for (const [value, rclass] of cases) {
      const enc: EncodedRObject = encodeRObject('u', value);
      expect(enc).toEqual({ name: 'u', type: 'unsupported', rclass });
      expect(Object.keys(enc)).toEqual(['name', 'type', 'rclass']);
    }
  });
});

describe('summarizeRObject and friends', () => {
  it('gives name, type, rclass, branch and xdf like /r/project/workspace/list', () => {
    expect(summarizeRObject('x_character', chr('c'))).toEqual({ branch: false, rclass: 'character', name: 'x_character', type: 'primitive', xdf: null });
    expect(summarizeRObject('x_dataframe', dataFrame({ a: int(1) }))).toEqual({
      branch: true,
      rclass: 'data.frame',
      name: 'x_dataframe',
      type: 'dataframe',
      xdf: null,
    });
    expect(summarizeRObject('x_matrix', matrix(dbl(1, 2), 1, 2))).toEqual({ branch: false, rclass: 'matrix', name: 'x_matrix', type: 'matrix', xdf: null });
    expect(summarizeRObject('l', list([]))).toMatchObject({ branch: true, type: 'list' });
    expect(summarizeRObject('f', { type: 'opaque', rtype: 'closure' })).toEqual({ branch: false, rclass: 'function', name: 'f', type: 'unsupported', xdf: null });
  });

  it('classifies like DeployR', () => {
    expect(encodingTypeOf(rdate(1, 2))).toBe('vector');
    expect(encodingTypeOf(posixct('UTC', 1))).toBe('date');
    expect(encodingTypeOf(factor([1], ['a'], true))).toBe('factor');
    expect(rclassOf(factor([1], ['a'], true))).toBe('ordered');
    expect(rclassOf(dbl(1))).toBe('numeric');
    expect(rclassOf(matrix(chr('a'), 1, 1))).toBe('matrix');
  });
});

describe('stringifyMarkup', () => {
  it('writes R doubles with a fraction, like Java did, and integers without', () => {
    expect(stringifyMarkup(encodeRObject('x', dbl(5)))).toBe('{"name":"x","type":"primitive","rclass":"numeric","value":5.0}');
    expect(stringifyMarkup(encodeRObject('x', int(5)))).toBe('{"name":"x","type":"primitive","rclass":"integer","value":5}');
    expect(stringifyMarkup(encodeRObject('v', dbl(10, 11.5, -0, 1e21, NA, Infinity)))).toBe(
      '{"name":"v","type":"vector","rclass":"numeric","value":[10.0,11.5,-0.0,1e+21,null,"0x7ff0000000000000L"]}',
    );
    expect(stringifyMarkup(encodeRObject('m', matrix(dbl(1, 2, 3, 11, 12, 13), 2, 3)))).toBe(
      '{"name":"m","type":"matrix","rclass":"matrix","value":[[1.0,3.0,12.0],[2.0,11.0,13.0]]}',
    );
  });

  it('works inside a whole response envelope and parses back to what JSON.stringify gives', () => {
    const objects = [
      encodeRObject('l', list([dbl(1), int(2), dataFrame({ a: dbl(1, 2), f: factor([1, 1], ['x']) })], ['a', 'b', 'c'])),
      encodeRObject('d', rdate(0)),
    ];
    const envelope = { deployr: { response: { success: true, call: '/r/project/workspace/get', workspace: { objects }, skip: undefined, when: new Date(0) } } };
    const text = stringifyMarkup(envelope);
    expect(text).toContain('"value":1.0');
    expect(text).toContain('"value":2}');
    expect(text).toContain('"value":[1.0,2.0]');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(envelope)));
  });

  it('tags only the objects holding doubles, invisibly', () => {
    const d = encodeRObject('x', dbl(1));
    expect(hasDoubleValues(d)).toBe(true);
    expect(hasDoubleValues(encodeRObject('x', int(1)))).toBe(false);
    expect(hasDoubleValues(encodeRObject('x', rdate(1)))).toBe(false);
    expect(Object.keys(d)).toEqual(['name', 'type', 'rclass', 'value']);
    expect(JSON.stringify(d)).toBe('{"name":"x","type":"primitive","rclass":"numeric","value":1}');
  });
});
