/** Encode/decode without R: bytes as Rserve writes them, and our own round trips. */
import { BufferReader } from '../../../server/engine/rserve/buffer-reader';
import { XT_ARRAY_DOUBLE, XT_LARGE } from '../../../server/engine/rserve/constants';
import { decodeResponseSexp, decodeSexp } from '../../../server/engine/rserve/decode';
import { EncodeError, encodeSexp, rCall, rInt, rString, rSymbol } from '../../../server/engine/rserve/encode';
import { serializeCommand } from '../../../server/engine/rserve/serializer';
import { doublesFrom, isNaReal, setNaReal, type RValue } from '../../../server/engine/rserve/sexp';

const roundTrip = (v: RValue): RValue => decodeSexp(new BufferReader(encodeSexp(v)));

describe('decoding bytes written by Rserve 1.8', () => {
  test('list(a = 1L, b = "x") with names', () => {
    const body = Buffer.from('0a2c0000902800001514000022040000610062001308000' + '06e616d657300000020040000010000002204000078000101', 'hex');
    expect(decodeResponseSexp(body)).toEqual({
      type: 'list',
      value: [
        { type: 'integer', value: [1] },
        { type: 'string', value: ['x'] },
      ],
      attributes: { names: { type: 'string', value: ['a', 'b'] } },
    });
  });

  test('a logical vector padded with 0xff', () => {
    expect(decodeResponseSexp(Buffer.from('0a0c0000240800000100000001ffffff', 'hex'))).toEqual({ type: 'logical', value: [true] });
  });

  test('an empty body is NULL', () => {
    expect(decodeResponseSexp(Buffer.alloc(0))).toEqual({ type: 'null' });
  });
});

describe('round trips through our encoder and decoder', () => {
  const cases: [string, RValue][] = [
    ['NULL', { type: 'null' }],
    ['logical with NA', { type: 'logical', value: [true, null, false, true, false] }],
    ['empty logical', { type: 'logical', value: [] }],
    ['integers with NA and negatives', { type: 'integer', value: [0, -1, 2147483647, -2147483647, null] }],
    ['strings with NA, "NA", empty and UTF-8', { type: 'string', value: ['a', null, 'NA', '', 'é€😀', 'ÿ'] }],
    ['raw', { type: 'raw', value: Buffer.from([0, 1, 255, 7, 9]) }],
    ['complex', { type: 'complex', re: Float64Array.from([1, -2.5]), im: Float64Array.from([0, 3]) }],
    ['symbol', { type: 'symbol', name: 'x' }],
    [
      'a factor',
      {
        type: 'integer',
        value: [1, 2, null],
        attributes: { levels: { type: 'string', value: ['lo', 'hi'] }, class: { type: 'string', value: ['factor'] } },
      },
    ],
    [
      'nested lists with names',
      {
        type: 'list',
        value: [{ type: 'list', value: [{ type: 'null' }] }, { type: 'string', value: ['z'] }],
        attributes: { names: { type: 'string', value: ['inner', ''] } },
      },
    ],
    [
      'a tagged pairlist',
      {
        type: 'pairlist',
        value: [
          { tag: 'a', value: { type: 'integer', value: [1] } },
          { tag: null, value: { type: 'string', value: ['b'] } },
        ],
      },
    ],
  ];

  test.each(cases)('%s', (_label, v) => {
    expect(roundTrip(v)).toEqual(v);
  });

  test('doubles keep NA apart from NaN, and infinities', () => {
    const values = new Float64Array([1.5, NaN, 0, Infinity, -Infinity, -0]);
    setNaReal(values, 2);
    const back = roundTrip({ type: 'double', value: values });
    expect(back.type).toBe('double');
    if (back.type !== 'double') return;
    expect(Array.from(back.value, (_x, i) => isNaReal(back.value, i))).toEqual([false, false, true, false, false, false]);
    expect(Number.isNaN(back.value[1])).toBe(true);
    expect(back.value[3]).toBe(Infinity);
    expect(back.value[4]).toBe(-Infinity);
    expect(Object.is(back.value[5], -0)).toBe(true);
  });

  test('complex NA survives bit for bit', () => {
    const re = doublesFrom([null, 1]);
    const back = roundTrip({ type: 'complex', re, im: new Float64Array(2) });
    expect(back.type === 'complex' && isNaReal(back.re, 0)).toBe(true);
  });

  test('vectors over 16 MB use the LARGE header', () => {
    const n = 2_500_000; // 20 MB
    const v = new Float64Array(n).map((_x, i) => i / 3);
    const bytes = encodeSexp({ type: 'double', value: v });
    expect(bytes[0]).toBe(XT_ARRAY_DOUBLE | XT_LARGE);
    expect(bytes.length).toBe(8 + n * 8);
    const back = decodeSexp(new BufferReader(bytes));
    expect(back.type === 'double' && back.value[n - 1]).toBe((n - 1) / 3);
  });

  test('a language object for CMD_eval', () => {
    const call = rCall('tryCatch', rCall('parse', { name: 'text', value: rString('1+') }), { name: 'error', value: rSymbol('conditionMessage') });
    const back = decodeSexp(new BufferReader(encodeSexp(call)));
    expect(back).toEqual({
      type: 'pairlist',
      value: [
        { tag: null, value: { type: 'symbol', name: 'tryCatch' } },
        {
          tag: null,
          value: {
            type: 'pairlist',
            value: [
              { tag: null, value: { type: 'symbol', name: 'parse' } },
              { tag: 'text', value: { type: 'string', value: ['1+'] } },
            ],
          },
        },
        { tag: 'error', value: { type: 'symbol', name: 'conditionMessage' } },
      ],
    });
  });
});

describe('encoder refuses what R cannot take', () => {
  test('non-integers in an integer vector', () => {
    expect(() => encodeSexp(rInt(1.5))).toThrow(EncodeError);
    expect(() => encodeSexp(rInt(2 ** 31))).toThrow(EncodeError);
    expect(() => encodeSexp(rInt(-(2 ** 31)))).toThrow(EncodeError);
  });
  test('NUL inside a string', () => {
    expect(() => encodeSexp(rString('a\0b'))).toThrow(EncodeError);
  });
  test('opaque objects', () => {
    expect(() => encodeSexp({ type: 'opaque', rtype: 'closure' })).toThrow(EncodeError);
  });
});

describe('command packets', () => {
  test('header carries the length, string parameters are NUL-terminated and padded', () => {
    const p = serializeCommand(0x003, [{ type: 'string', value: '1+1' }]);
    expect(p.toString('hex')).toBe('03000000080000000000000000000000' + '04040000' + '312b3100');
  });
});
