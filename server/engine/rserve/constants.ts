/**
 * Rserve QAP1 protocol constants (Rserve 1.8, protocol version 0103).
 *
 * Names follow the server's own header (`src/Rsrv.h`) so that a reader can look them up there.
 * All integers on the wire are little-endian.
 */

/** The 32-byte greeting starts with these 12 bytes. */
export const ID_SIGNATURE = 'Rsrv';
export const ID_PROTOCOL = 'QAP1';
export const ID_VERSION = '0103';
export const ID_STRING_LENGTH = 32;

/** Every packet starts with a 16-byte header: cmd, len (low 32 bits), msg_id, len (high 32 bits). */
export const HEADER_LENGTH = 16;

// ---- commands -------------------------------------------------------------------------------

export const CMD_login = 0x001;
export const CMD_voidEval = 0x002;
export const CMD_eval = 0x003;
export const CMD_shutdown = 0x004;
export const CMD_switch = 0x005;
export const CMD_keyReq = 0x006;
export const CMD_secLogin = 0x007;
export const CMD_OCcall = 0x00f;
export const CMD_OCinit = 0x434f7352;

export const CMD_openFile = 0x010;
export const CMD_createFile = 0x011;
export const CMD_closeFile = 0x012;
export const CMD_readFile = 0x013;
export const CMD_writeFile = 0x014;
export const CMD_removeFile = 0x015;

export const CMD_setSEXP = 0x020;
export const CMD_assignSEXP = 0x021;

export const CMD_detachSession = 0x030;
export const CMD_detachedVoidEval = 0x031;
export const CMD_attachSession = 0x032;

export const CMD_ctrl = 0x40;
export const CMD_ctrlEval = 0x42;
export const CMD_ctrlSource = 0x45;
export const CMD_ctrlShutdown = 0x44;

export const CMD_setBufferSize = 0x081;
export const CMD_setEncoding = 0x082;

export const CMD_SPECIAL_MASK = 0xf0;
export const CMD_serEval = 0xf5;
export const CMD_serAssign = 0xf6;
export const CMD_serEEval = 0xf7;

// ---- responses ------------------------------------------------------------------------------

export const CMD_RESP = 0x10000;
export const RESP_OK = CMD_RESP | 0x0001;
export const RESP_ERR = CMD_RESP | 0x0002;

/** Out-of-band (unsolicited) packets from R: `self.oobSend()` and `self.oobMessage()`. */
export const CMD_OOB = 0x20000;
export const OOB_SEND = CMD_OOB | 0x1000;
export const OOB_MSG = CMD_OOB | 0x2000;

/** The status code of a response lives in bits 24..30 of `cmd`. */
export function cmdStat(cmd: number): number {
  return (cmd >>> 24) & 127;
}

/** The response kind without its status bits. */
export function cmdKind(cmd: number): number {
  return cmd & 0x00ffffff;
}

export function isOobSend(cmd: number): boolean {
  return (cmd & 0x0ffff000) === OOB_SEND;
}

export function isOobMsg(cmd: number): boolean {
  return (cmd & 0x0ffff000) === OOB_MSG;
}

/** The 12 application bits of an OOB packet (the `code` argument of `self.oobSend`). */
export function oobUserCode(cmd: number): number {
  return cmd & 0xfff;
}

// ---- status codes of RESP_ERR -----------------------------------------------------------------

/** Parse status codes (R's ParseStatus) come back as the stat of a failed eval. */
export const PARSE_NULL = 0;
export const PARSE_OK = 1;
export const PARSE_INCOMPLETE = 2;
export const PARSE_ERROR = 3;
export const PARSE_EOF = 4;

/** An R error inside `R_tryEval` is reported as -1, i.e. 127 in the 7-bit stat field. */
export const ERR_R_EVAL = 127;

export const ERR_auth_failed = 0x41;
export const ERR_conn_broken = 0x42;
export const ERR_inv_cmd = 0x43;
export const ERR_inv_par = 0x44;
export const ERR_Rerror = 0x45;
export const ERR_IOerror = 0x46;
export const ERR_notOpen = 0x47;
export const ERR_accessDenied = 0x48;
export const ERR_unsupportedCmd = 0x49;
export const ERR_unknownCmd = 0x4a;
export const ERR_data_overflow = 0x4b;
export const ERR_object_too_big = 0x4c;
export const ERR_out_of_mem = 0x4d;
export const ERR_ctrl_closed = 0x4e;
export const ERR_session_busy = 0x50;
export const ERR_detach_failed = 0x51;
export const ERR_disabled = 0x61;
export const ERR_unavailable = 0x62;
export const ERR_cryptError = 0x63;
export const ERR_securityClose = 0x64;

const STAT_NAMES: Record<number, string> = {
  [PARSE_INCOMPLETE]: 'incomplete R expression',
  [PARSE_ERROR]: 'R syntax error',
  [PARSE_EOF]: 'unexpected end of R input',
  [ERR_R_EVAL]: 'R evaluation error',
  [ERR_auth_failed]: 'authentication failed',
  [ERR_conn_broken]: 'connection broken',
  [ERR_inv_cmd]: 'invalid command',
  [ERR_inv_par]: 'invalid parameter',
  [ERR_Rerror]: 'R error',
  [ERR_IOerror]: 'I/O error',
  [ERR_notOpen]: 'file is not open',
  [ERR_accessDenied]: 'access denied',
  [ERR_unsupportedCmd]: 'unsupported command',
  [ERR_unknownCmd]: 'unknown command',
  [ERR_data_overflow]: 'incoming packet too big',
  [ERR_object_too_big]: 'object too big',
  [ERR_out_of_mem]: 'out of memory',
  [ERR_ctrl_closed]: 'control pipe closed',
  [ERR_session_busy]: 'session busy',
  [ERR_detach_failed]: 'detach failed',
  [ERR_disabled]: 'feature disabled',
  [ERR_unavailable]: 'feature unavailable',
  [ERR_cryptError]: 'crypto error',
  [ERR_securityClose]: 'closed for security reasons',
};

/** A readable name for a RESP_ERR status code. */
export function statName(stat: number): string {
  return STAT_NAMES[stat] ?? `Rserve error ${stat}`;
}

// ---- data types of command parameters (DT_) ---------------------------------------------------

export const DT_INT = 1;
export const DT_CHAR = 2;
export const DT_DOUBLE = 3;
export const DT_STRING = 4;
export const DT_BYTESTREAM = 5;
export const DT_SEXP = 10;
export const DT_ARRAY = 11;
export const DT_CUSTOM = 32;
/** Flag: the parameter length takes 56 bits (an extra 4-byte word). */
export const DT_LARGE = 64;

// ---- expression types (XT_) -------------------------------------------------------------------

export const XT_NULL = 0;
export const XT_INT = 1;
export const XT_DOUBLE = 2;
export const XT_STR = 3;
export const XT_LANG = 4;
export const XT_SYM = 5;
export const XT_BOOL = 6;
export const XT_S4 = 7;
export const XT_VECTOR = 16;
export const XT_LIST = 17;
export const XT_CLOS = 18;
export const XT_SYMNAME = 19;
export const XT_LIST_NOTAG = 20;
export const XT_LIST_TAG = 21;
export const XT_LANG_NOTAG = 22;
export const XT_LANG_TAG = 23;
export const XT_VECTOR_EXP = 26;
export const XT_VECTOR_STR = 27;
export const XT_ARRAY_INT = 32;
export const XT_ARRAY_DOUBLE = 33;
export const XT_ARRAY_STR = 34;
export const XT_ARRAY_BOOL_UA = 35;
export const XT_ARRAY_BOOL = 36;
export const XT_RAW = 37;
export const XT_ARRAY_CPLX = 38;
export const XT_UNKNOWN = 48;
/** Flag: the length takes 56 bits (an extra 4-byte word). */
export const XT_LARGE = 64;
/** Flag: an attribute pairlist precedes the payload. */
export const XT_HAS_ATTR = 128;

/** Lengths above this are sent with the LARGE header (Rserve's own threshold). */
export const LARGE_THRESHOLD = 0xfffff0;
/** The largest length a 3-byte length field can hold. */
export const MAX_SMALL_LENGTH = 0xffffff;

export const BOOL_FALSE = 0;
export const BOOL_TRUE = 1;
export const BOOL_NA = 2;

/** R's NA_integer_. */
export const NA_INTEGER = -2147483648;
/** Rserve writes an NA string as this single byte (followed by the terminating 0). */
export const NA_STRING_BYTE = 0xff;

/** R's SEXPTYPE numbers, for the opaque summary of XT_UNKNOWN. */
export const SEXPTYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'symbol',
  2: 'pairlist',
  3: 'closure',
  4: 'environment',
  5: 'promise',
  6: 'language',
  7: 'special',
  8: 'builtin',
  9: 'char',
  10: 'logical',
  13: 'integer',
  14: 'double',
  15: 'complex',
  16: 'character',
  17: '...',
  18: 'any',
  19: 'expression',
  20: 'list',
  21: 'bytecode',
  22: 'externalptr',
  23: 'weakref',
  24: 'raw',
  25: 'S4',
};
