import { OOB_SEND, RESP_ERR, RESP_OK } from '../../../server/engine/rserve/constants';
import type { ServerMessage } from '../../../server/engine/rserve/messages';
import { Parser, ProtocolError } from '../../../server/engine/rserve/parser';

const HELLO = Buffer.from('Rsrv0103QAP1\r\n\r\n--------------\r\n', 'latin1');

function packet(cmd: number, body: Buffer, msgId = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(cmd >>> 0, 0);
  h.writeUInt32LE(body.length % 0x100000000, 4);
  h.writeUInt32LE(msgId, 8);
  h.writeUInt32LE(Math.floor(body.length / 0x100000000), 12);
  return Buffer.concat([h, body]);
}

function body(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Feeds `chunks` to a fresh parser and returns what it emitted. */
function feed(chunks: Buffer[], expectHello = true): ServerMessage[] {
  const p = new Parser({ expectHello });
  const out: ServerMessage[] = [];
  for (const c of chunks) p.parse(c, (m) => out.push(m));
  return out;
}

function summary(msgs: ServerMessage[]): unknown[] {
  return msgs.map((m) => (m.kind === 'hello' ? { hello: m.id } : { cmd: m.cmd, msgId: m.msgId, body: m.body.toString('hex') }));
}

const small = packet(RESP_OK, body(40, 1), 7);
const empty = packet(RESP_ERR | (127 << 24), Buffer.alloc(0));
const oob = packet(OOB_SEND | 5, body(12, 9));
const large = packet(RESP_OK, body(200_000, 3)); // above the own-allocation threshold
const stream = Buffer.concat([HELLO, small, empty, oob, large, small]);

describe('Parser', () => {
  const expected = summary(feed([stream]));

  test('decodes the greeting and every packet of one chunk', () => {
    const msgs = feed([stream]);
    expect(msgs.map((m) => m.kind)).toEqual(['hello', 'packet', 'packet', 'packet', 'packet', 'packet']);
    const hello = msgs[0];
    expect(hello.kind === 'hello' && [hello.version, hello.protocol, hello.attributes]).toEqual(['0103', 'QAP1', []]);
    expect(summary(msgs)[1]).toEqual({ cmd: RESP_OK, msgId: 7, body: body(40, 1).toString('hex') });
    expect(summary(msgs)[2]).toEqual({ cmd: (RESP_ERR | (127 << 24)) >>> 0, msgId: 0, body: '' });
  });

  test.each([
    ['start', 1],
    ['inside the greeting', 13],
    ['at the greeting end', 32],
    ['inside a header', 32 + 5],
    ['at a header end', 32 + 16],
    ['inside a small body', 32 + 16 + 20],
    ['at a packet boundary', 32 + small.length],
    ['inside the large header', 32 + small.length + empty.length + oob.length + 9],
    ['inside the large body', 32 + small.length + empty.length + oob.length + 16 + 100_000],
    ['one byte before the end', stream.length - 1],
  ])('splits at %s give the same messages', (_label, at) => {
    expect(summary(feed([stream.subarray(0, at), stream.subarray(at)]))).toEqual(expected);
  });

  test('every split point of a greeting plus two small packets', () => {
    const s = Buffer.concat([HELLO, small, oob]);
    const want = summary(feed([s]));
    for (let at = 0; at <= s.length; at++) {
      expect(summary(feed([s.subarray(0, at), s.subarray(at)]))).toEqual(want);
    }
  });

  test('byte by byte', () => {
    const s = Buffer.concat([HELLO, small, empty, oob]);
    const chunks = Array.from({ length: s.length }, (_, i) => s.subarray(i, i + 1));
    expect(summary(feed(chunks))).toEqual(summary(feed([s])));
  });

  test('uneven chunks over a large body, with packets before and after in the same chunks', () => {
    const sizes = [7, 30, 1000, 65536, 3, 90_000, 17];
    const chunks: Buffer[] = [];
    let pos = 0;
    for (let i = 0; pos < stream.length; i++) {
      const n = sizes[i % sizes.length];
      chunks.push(stream.subarray(pos, pos + n));
      pos += n;
    }
    expect(summary(feed(chunks))).toEqual(expected);
  });

  test('large bodies get their own aligned memory; small ones are views', () => {
    const msgs = feed([stream]).filter((m) => m.kind === 'packet');
    const big = msgs[3];
    expect(big.kind === 'packet' && big.body.byteOffset).toBe(0);
    expect(big.kind === 'packet' && big.body.buffer.byteLength).toBe(200_000);
  });

  test('keeps nothing when the chunk ends on a boundary', () => {
    const p = new Parser();
    p.parse(Buffer.concat([HELLO, small]), () => undefined);
    expect(p.bufferedBytes).toBe(0);
    p.parse(small.subarray(0, 10), () => undefined);
    expect(p.bufferedBytes).toBe(10);
  });

  test('without greeting (expectHello: false)', () => {
    expect(feed([Buffer.concat([small, oob])], false).map((m) => m.kind)).toEqual(['packet', 'packet']);
  });

  test('rejects a peer that is not Rserve', () => {
    expect(() => feed([Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n....')])).toThrow(ProtocolError);
  });

  test('rejects absurd lengths', () => {
    const p = new Parser({ expectHello: false, maxBodyLength: 1000 });
    expect(() => p.parse(packet(RESP_OK, Buffer.alloc(2000)), () => undefined)).toThrow(/exceeds/);
  });

  test('reads lengths above 4 GB from the high word', () => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(RESP_OK, 0);
    h.writeUInt32LE(0, 4);
    h.writeUInt32LE(1, 12);
    const p = new Parser({ expectHello: false, maxBodyLength: 2 ** 32 - 1 });
    expect(() => p.parse(h, () => undefined)).toThrow(/4294967296 bytes/);
  });
});
