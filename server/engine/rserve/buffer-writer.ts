/**
 * Chainable little-endian writes into one pre-sized Buffer. The encoder measures an object
 * first and allocates once, so a 10^7-element vector is never copied by buffer growth.
 * Each writer is created per message: there is no shared module-level state.
 */
export class BufferWriter {
  readonly buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  private need(n: number): void {
    if (this.offset + n > this.buffer.length) {
      throw new RangeError(`QAP1: writer overflow (need ${n} bytes at ${this.offset}, size ${this.buffer.length})`);
    }
  }

  uint8(v: number): this {
    this.need(1);
    this.buffer[this.offset++] = v;
    return this;
  }

  int32(v: number): this {
    this.need(4);
    this.buffer.writeInt32LE(v, this.offset);
    this.offset += 4;
    return this;
  }

  uint32(v: number): this {
    this.need(4);
    this.buffer.writeUInt32LE(v >>> 0, this.offset);
    this.offset += 4;
    return this;
  }

  float64(v: number): this {
    this.need(8);
    this.buffer.writeDoubleLE(v, this.offset);
    this.offset += 8;
    return this;
  }

  /** Copies raw bytes (a Buffer, or the bytes behind any typed array, bit for bit). */
  bytes(src: ArrayBufferView): this {
    const view = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    this.need(view.length);
    view.copy(this.buffer, this.offset);
    this.offset += view.length;
    return this;
  }

  /** Writes a UTF-8 string without terminator; returns this. */
  utf8(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.need(n);
    this.buffer.write(s, this.offset, n, 'utf8');
    this.offset += n;
    return this;
  }

  /** Pads with `fill` to the next multiple of 4. */
  pad4(fill = 0): this {
    while (this.offset & 3) this.uint8(fill);
    return this;
  }

  /**
   * A QAP1 item header: type and length in one word, plus a second word when the length needs
   * the LARGE form. The caller decides `large` up front because the header size depends on it.
   */
  itemHeader(type: number, length: number, large: boolean, largeFlag: number): this {
    if (large) {
      this.uint32((((length % 0x1000000) << 8) | ((type | largeFlag) & 0xff)) >>> 0);
      this.uint32(Math.floor(length / 0x1000000));
    } else {
      this.uint32(((length << 8) | (type & 0xff)) >>> 0);
    }
    return this;
  }

  /** The written part. */
  result(): Buffer {
    return this.offset === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.offset);
  }
}
