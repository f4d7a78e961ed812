/**
 * Little-endian reads over one Buffer with a moving offset. No socket, no state beyond the
 * offset; the decoder creates one per packet body.
 */
export class BufferReader {
  constructor(
    readonly buffer: Buffer,
    public offset = 0,
    readonly end = buffer.length,
  ) {}

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.end) {
      throw new RangeError(`QAP1: truncated data (need ${n} bytes at ${this.offset}, end ${this.end})`);
    }
  }

  uint8(): number {
    this.need(1);
    return this.buffer[this.offset++];
  }

  int32(): number {
    this.need(4);
    const v = this.buffer.readInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buffer.readDoubleLE(this.offset);
    this.offset += 8;
    return v;
  }

  /**
   * A QAP1 item header: 1 byte type, 3 bytes length, and 4 more length bytes when the LARGE flag
   * (0x40) is set. Returns the type without the LARGE flag and the payload length.
   */
  itemHeader(largeFlag: number): { type: number; length: number } {
    const word = this.uint32();
    let type = word & 0xff;
    let length = word >>> 8;
    if (type & largeFlag) {
      type &= ~largeFlag;
      const high = this.uint32();
      length += high * 0x1000000;
    }
    return { type, length };
  }

  /** A view (not a copy) of the next n bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A zero-terminated UTF-8 string within the next `max` bytes; advances past all of them. */
  cstring(max: number): string {
    this.need(max);
    let stop = this.buffer.indexOf(0, this.offset);
    if (stop < 0 || stop > this.offset + max) stop = this.offset + max;
    const s = this.buffer.toString('utf8', this.offset, stop);
    this.offset += max;
    return s;
  }

  skip(n: number): this {
    this.need(n);
    this.offset += n;
    return this;
  }
}
