/**
 * QAP1 framing with no socket: feed it chunks as they arrive, get whole messages back.
 *
 * Leftover bytes are kept between chunks. A large body is allocated once, at its final size,
 * as soon as its header is known, and later chunks are copied straight into it, so a 100 MB
 * response costs one allocation and one copy of each byte (no repeated concatenation).
 */
import { HEADER_LENGTH, ID_STRING_LENGTH } from './constants';
import type { HelloMessage, ServerMessage } from './messages';

/** Bodies at least this long get their own allocation instead of a view into the chunk. */
const OWN_BODY_THRESHOLD = 64 * 1024;

export interface ParserOptions {
  /** The first 32 bytes are the server's id string (default true). */
  expectHello?: boolean;
  /** Refuse packets announcing more than this many bytes (default 2^40). */
  maxBodyLength?: number;
}

export class ProtocolError extends Error {
  readonly code = 'RSERVE_PROTOCOL';
}

export function parseHello(bytes: Buffer): HelloMessage {
  const id = bytes.toString('latin1', 0, ID_STRING_LENGTH);
  if (!id.startsWith('Rsrv')) throw new ProtocolError(`not an Rserve server (greeting ${JSON.stringify(id)})`);
  const attributes: string[] = [];
  for (let i = 12; i < ID_STRING_LENGTH; i += 4) {
    const a = id.slice(i, i + 4);
    if (/^[\r\n -]*$/.test(a)) continue;
    attributes.push(a);
  }
  return { kind: 'hello', id, version: id.slice(4, 8), protocol: id.slice(8, 12), attributes };
}

export class Parser {
  private awaitingHello: boolean;
  private readonly maxBodyLength: number;
  /** Unconsumed bytes of the current chunk stream (less than one header, or a small body). */
  private leftover: Buffer | null = null;
  /** A large body being filled across chunks. */
  private partial: { cmd: number; msgId: number; body: Buffer; filled: number } | null = null;

  constructor(options: ParserOptions = {}) {
    this.awaitingHello = options.expectHello ?? true;
    this.maxBodyLength = options.maxBodyLength ?? 2 ** 40;
  }

  /** Bytes held back waiting for the rest of a message. */
  get bufferedBytes(): number {
    return (this.leftover?.length ?? 0) + (this.partial?.filled ?? 0);
  }

  parse(chunk: Buffer, emit: (msg: ServerMessage) => void): void {
    let data = chunk;
    let pos = 0;

    if (this.partial) {
      const p = this.partial;
      const take = Math.min(p.body.length - p.filled, data.length);
      data.copy(p.body, p.filled, 0, take);
      p.filled += take;
      pos = take;
      if (p.filled < p.body.length) return;
      this.partial = null;
      emit({ kind: 'packet', cmd: p.cmd, msgId: p.msgId, body: p.body });
    }

    if (this.leftover) {
      data = pos === 0 ? Buffer.concat([this.leftover, data]) : Buffer.concat([this.leftover, data.subarray(pos)]);
      pos = 0;
      this.leftover = null;
    }

    if (this.awaitingHello) {
      if (data.length - pos < ID_STRING_LENGTH) {
        this.leftover = Buffer.from(data.subarray(pos));
        return;
      }
      this.awaitingHello = false;
      const hello = parseHello(data.subarray(pos, pos + ID_STRING_LENGTH));
      pos += ID_STRING_LENGTH;
      emit(hello);
    }

    while (data.length - pos >= HEADER_LENGTH) {
      const cmd = data.readUInt32LE(pos);
      const lenLow = data.readUInt32LE(pos + 4);
      const msgId = data.readUInt32LE(pos + 8);
      const lenHigh = data.readUInt32LE(pos + 12);
      const length = lenHigh * 0x100000000 + lenLow;
      if (length > this.maxBodyLength) {
        throw new ProtocolError(`packet of ${length} bytes exceeds the limit of ${this.maxBodyLength}`);
      }
      const start = pos + HEADER_LENGTH;
      const available = data.length - start;
      if (available >= length && length < OWN_BODY_THRESHOLD) {
        pos = start + length;
        emit({ kind: 'packet', cmd, msgId, body: data.subarray(start, start + length) });
        continue;
      }
      if (length >= OWN_BODY_THRESHOLD) {
        // Own, 8-byte aligned allocation (allocUnsafeSlow never uses the shared pool).
        const body = Buffer.allocUnsafeSlow(length);
        const take = Math.min(length, available);
        data.copy(body, 0, start, start + take);
        pos = start + take;
        if (take === length) {
          emit({ kind: 'packet', cmd, msgId, body });
          continue;
        }
        this.partial = { cmd, msgId, body, filled: take };
        return;
      }
      break; // a small body that is not complete yet
    }

    if (pos < data.length) {
      // Copy so that we do not pin the whole (possibly large) chunk.
      this.leftover = Buffer.from(data.subarray(pos));
    }
  }
}
