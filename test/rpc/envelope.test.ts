import { buildResponse, renderJson, renderXml, singular } from '../../server/rpc/envelope';
import { encodeRObject } from '../../server/engine/encoding';
import { doublesFrom } from '../../server/engine/rserve/sexp';

describe('XML element names for array members', () => {
  it.each([
    ['values', 'value'],
    ['labels', 'label'],
    ['objects', 'object'],
    ['files', 'file'],
    ['directories', 'directory'],
    ['authors', 'author'],
    ['warnings', 'warning'],
    ['user', 'directory'],
    ['archived', 'directory'],
    ['something', 'item'],
  ])('%s -> %s', (key, element) => expect(singular(key)).toBe(element));
});

describe('R doubles', () => {
  const matrix = encodeRObject('m', { type: 'double', value: doublesFrom([1, 2, 3, 11, 12, 13]), attributes: { dim: { type: 'integer', value: [2, 3] } } });
  const scalar = encodeRObject('x', { type: 'double', value: doublesFrom([5]) });
  const response = buildResponse({ call: '/r/project/workspace/get', success: true, payload: { workspace: { objects: [scalar, matrix] as never } } });

  it('are written as doubles in JSON (the Java client casts them)', () => {
    const json = renderJson(response);
    expect(json).toContain('"value":5.0');
    expect(json).toContain('"value":[[1.0,3.0,12.0],[2.0,11.0,13.0]]');
  });

  it('are written as doubles in XML, matrix rows as comma-separated text', () => {
    const xml = renderXml(response);
    expect(xml).toContain('<name>x</name><type>primitive</type><rclass>numeric</rclass><value>5.0</value>');
    expect(xml).toContain('<values><value>1.0, 3.0, 12.0</value><value>2.0, 11.0, 13.0</value></values>');
  });
});
