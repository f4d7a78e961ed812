/**
 * Command packets as pure functions: `serialize.eval(code)` returns the bytes to write.
 * Each packet is measured first and allocated once.
 */
import { BufferWriter } from './buffer-writer';
import {
  CMD_assignSEXP,
  CMD_closeFile,
  CMD_createFile,
  CMD_eval,
  CMD_openFile,
  CMD_readFile,
  CMD_removeFile,
  CMD_setEncoding,
  CMD_setSEXP,
  CMD_voidEval,
  CMD_writeFile,
  DT_BYTESTREAM,
  DT_INT,
  DT_LARGE,
  DT_SEXP,
  DT_STRING,
  HEADER_LENGTH,
  LARGE_THRESHOLD,
  RESP_OK,
} from './constants';
import { EncodeError, SexpEncoder, type Encodable } from './encode';

export type CommandParameter =
  | { type: 'string'; value: string }
  | { type: 'int'; value: number }
  | { type: 'bytes'; value: Buffer }
  | { type: 'sexp'; value: Encodable };

function parameterPayload(p: CommandParameter, enc: SexpEncoder): number {
  switch (p.type) {
    case 'string':
      return (Buffer.byteLength(p.value, 'utf8') + 1 + 3) & ~3;
    case 'int':
      return 4;
    case 'bytes':
      return p.value.length;
    case 'sexp':
      return enc.measure(p.value);
  }
}

const dtOf = { string: DT_STRING, int: DT_INT, bytes: DT_BYTESTREAM, sexp: DT_SEXP } as const;

/** A complete packet: 16-byte header, then the parameters. */
export function serializeCommand(cmd: number, params: readonly CommandParameter[] = []): Buffer {
  const enc = new SexpEncoder();
  const payloads = params.map((p) => parameterPayload(p, enc));
  let length = 0;
  for (const n of payloads) length += (n > LARGE_THRESHOLD ? 8 : 4) + n;
  const w = new BufferWriter(HEADER_LENGTH + length);
  w.uint32(cmd)
    .uint32(length % 0x100000000)
    .uint32(0)
    .uint32(Math.floor(length / 0x100000000));
  params.forEach((p, i) => {
    const n = payloads[i];
    w.itemHeader(dtOf[p.type], n, n > LARGE_THRESHOLD, DT_LARGE);
    switch (p.type) {
      case 'string':
        if (p.value.includes('\0')) throw new EncodeError('strings sent to R cannot contain NUL characters');
        w.utf8(p.value).uint8(0).pad4(0);
        break;
      case 'int':
        w.int32(p.value);
        break;
      case 'bytes':
        w.bytes(p.value);
        break;
      case 'sexp':
        enc.write(w, p.value);
        break;
    }
  });
  return w.result();
}

const str = (value: string): CommandParameter => ({ type: 'string', value });
const sexp = (value: Encodable): CommandParameter => ({ type: 'sexp', value });

/** One function per command this client sends. */
export const serialize = {
  eval: (code: string): Buffer => serializeCommand(CMD_eval, [str(code)]),
  /** Evaluates a language object (built with `rCall`) instead of parsing text. */
  evalSexp: (call: Encodable): Buffer => serializeCommand(CMD_eval, [sexp(call)]),
  voidEval: (code: string): Buffer => serializeCommand(CMD_voidEval, [str(code)]),
  voidEvalSexp: (call: Encodable): Buffer => serializeCommand(CMD_voidEval, [sexp(call)]),
  setSEXP: (name: string, value: Encodable): Buffer => serializeCommand(CMD_setSEXP, [str(name), sexp(value)]),
  assignSEXP: (target: string, value: Encodable): Buffer =>
    serializeCommand(CMD_assignSEXP, [str(target), sexp(value)]),
  openFile: (path: string): Buffer => serializeCommand(CMD_openFile, [str(path)]),
  createFile: (path: string): Buffer => serializeCommand(CMD_createFile, [str(path)]),
  closeFile: (): Buffer => serializeCommand(CMD_closeFile),
  readFile: (size?: number): Buffer =>
    serializeCommand(CMD_readFile, size === undefined ? [] : [{ type: 'int', value: size }]),
  writeFile: (data: Buffer): Buffer => serializeCommand(CMD_writeFile, [{ type: 'bytes', value: data }]),
  removeFile: (path: string): Buffer => serializeCommand(CMD_removeFile, [str(path)]),
  setEncoding: (encoding: 'native' | 'latin1' | 'utf8'): Buffer => serializeCommand(CMD_setEncoding, [str(encoding)]),
  /** The reply to an OOB_MSG from R. */
  oobReply: (value: Encodable): Buffer => serializeCommand(RESP_OK, [sexp(value)]),
};
