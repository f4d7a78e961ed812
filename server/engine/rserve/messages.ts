/** The typed messages that cross an Rserve QAP1 connection. */

/** The 32-byte greeting the server sends first, e.g. `Rsrv0103QAP1\r\n\r\n--------------\r\n`. */
export interface HelloMessage {
  kind: 'hello';
  /** The whole 32-character id string. */
  id: string;
  /** The 4-character protocol version (`0103`). */
  version: string;
  /** The protocol (`QAP1`). */
  protocol: string;
  /** Further 4-byte attributes (e.g. `ARpt` when authentication is required). */
  attributes: string[];
}

/** One framed packet: a response, or an out-of-band message from R. */
export interface PacketMessage {
  kind: 'packet';
  /** The full command word, including status bits. */
  cmd: number;
  msgId: number;
  /**
   * The payload (the bytes after the 16-byte header). Small bodies are views into a received
   * chunk; large bodies own a fresh 8-byte-aligned allocation.
   */
  body: Buffer;
}

export type ServerMessage = HelloMessage | PacketMessage;
