import { JsonSyntaxError, formatDouble, jsonTreeOf, parseJsonTree, stringifyMarkup } from '../../../server/engine/encoding/json';

describe('parseJsonTree', () => {
  it('parses every JSON value and remembers how numbers were written', () => {
    const t = parseJsonTree(' {"a": [1, 1.0, -2e3, 0.5, true, false, null, "x\\n\\u00e9\\"\\\\\\/"], "b": {}} ');
    expect(t).toEqual({
      kind: 'object',
      entries: new Map([
        [
          'a',
          {
            kind: 'array',
            items: [
              { kind: 'number', value: 1, integral: true },
              { kind: 'number', value: 1, integral: false },
              { kind: 'number', value: -2000, integral: false },
              { kind: 'number', value: 0.5, integral: false },
              { kind: 'boolean', value: true },
              { kind: 'boolean', value: false },
              { kind: 'null' },
              { kind: 'string', value: 'x\né"\\/' },
            ],
          },
        ],
        ['b', { kind: 'object', entries: new Map() }],
      ]),
    });
  });

  it('rejects what JSON.parse rejects', () => {
    for (const bad of ['', '{', '[1,]', '{"a":1,}', '01', '1.', "'a'", '{"a" 1}', '"\\x"', 'nul', '1 2', '"a\nb"', 'NaN']) {
      expect(() => parseJsonTree(bad)).toThrow(JsonSyntaxError);
      expect(() => JSON.parse(bad)).toThrow();
    }
    expect(() => parseJsonTree('['.repeat(1000) + ']'.repeat(1000))).toThrow(/too deep/);
  });

  it('keeps the last of duplicated keys, like JSON.parse', () => {
    const t = parseJsonTree('{"a": 1, "a": 2}');
    expect(t.kind === 'object' && t.entries.get('a')).toEqual({ kind: 'number', value: 2, integral: true });
  });

  it('builds the same tree from a parsed value', () => {
    expect(jsonTreeOf({ a: [1, 1.5, 'x', null, false], b: undefined })).toEqual(parseJsonTree('{"a": [1, 1.5, "x", null, false]}'));
  });
});

describe('formatDouble / stringifyMarkup', () => {
  it('formats doubles like Java', () => {
    expect(formatDouble(5)).toBe('5.0');
    expect(formatDouble(-0)).toBe('-0.0');
    expect(formatDouble(1.25)).toBe('1.25');
    expect(formatDouble(1e-7)).toBe('1e-7');
    expect(formatDouble(NaN)).toBe('null');
  });

  it('behaves like JSON.stringify on plain data', () => {
    const data = { a: [1, 'two', null, undefined, () => 1, { b: true }], c: undefined, d: new Date(0), e: 'q"uote\u2028', f: NaN, g: -0 };
    expect(stringifyMarkup(data)).toBe(JSON.stringify(data));
    expect(stringifyMarkup(undefined)).toBe('null');
    expect(stringifyMarkup([])).toBe('[]');
  });
});
