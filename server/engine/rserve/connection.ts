/**
 * One QAP1 connection to Rserve, i.e. one forked R process.
 *
 * The connection only wires the socket to the parser and the request queue: bytes in go to
 * `Parser.parse`, whose packets go to the queue (answers) or out as `oob` events; requests are
 * `serialize.*` packets pushed on the queue, which writes them one at a time.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  ERR_R_EVAL,
  ID_PROTOCOL,
  PARSE_EOF,
  PARSE_ERROR,
  PARSE_INCOMPLETE,
  RESP_ERR,
  RESP_OK,
  cmdKind,
  cmdStat,
  isOobMsg,
  isOobSend,
  oobUserCode,
  statName,
} from './constants';
import { decodeResponseSexp } from './decode';
import { rCall, rString, rSymbol, type Encodable, type RCall } from './encode';
import { RError } from './errors';
import type { HelloMessage, PacketMessage, ServerMessage } from './messages';
import { Parser } from './parser';
import { RequestQueue, type EnqueueOptions, type Step, type StepHandler } from './queue';
import { serialize } from './serializer';
import type { RValue } from './sexp';

export interface ConnectOptions {
  host?: string;
  port: number;
  /** Milliseconds to wait for the TCP connection and the greeting (default 10 000). */
  connectTimeout?: number;
  /** Default timeout of every call in milliseconds (default: none). */
  callTimeout?: number;
  /**
   * Answers R's `self.oobMessage(x)` (OOB_MSG, which blocks R until the reply). Without a
   * handler R gets NULL back.
   */
  onOobMessage?: (message: OobMessage) => Encodable | Promise<Encodable>;
}

export interface CallOptions {
  /** Milliseconds until the call rejects with `R_TIMEOUT` (the answer is then discarded). */
  timeout?: number;
  /** Send before every call not yet sent (the request on the wire still goes first). */
  priority?: boolean;
}

/** An out-of-band message from R: `self.oobSend(value, code)` or `self.oobMessage(value, code)`. */
export interface OobMessage {
  /** `send` does not wait for a reply; `message` does. */
  kind: 'send' | 'message';
  /** The 12-bit user code (the `code` argument in R, 0 by default). */
  code: number;
  value: RValue;
}

export interface RConnectionEvents {
  oob: [OobMessage];
  /** The socket closed; the error says why when it was not on purpose. */
  close: [RError | null];
}

/** File transfer chunk size (each chunk is one round trip). */
const FILE_CHUNK = 1024 * 1024;

function answerStat(packet: PacketMessage): number | null {
  const kind = cmdKind(packet.cmd);
  if (kind === RESP_OK) return null;
  if (kind === RESP_ERR) return cmdStat(packet.cmd);
  throw new RError('RSERVE_PROTOCOL', `unexpected packet 0x${packet.cmd.toString(16)} in place of an answer`);
}

function stringOf(v: RValue): string | null {
  return v.type === 'string' && v.value.length > 0 ? v.value[0] : null;
}

/** `tryCatch(parse(text = code), error = conditionMessage)`: R's own parser message. */
function parseMessageCall(code: string): RCall {
  return rCall('tryCatch', rCall('parse', { name: 'text', value: rString(code) }), {
    name: 'error',
    value: rSymbol('conditionMessage'),
  });
}

const RESERVED = new Set(
  'if else repeat while function for next break TRUE FALSE NULL Inf NaN NA NA_integer_ NA_real_ NA_character_ NA_complex_ in'.split(' '),
);

/** A name R parses to a symbol: syntactic and not reserved, or backquoted. */
export function isAssignableName(name: string): boolean {
  if (/^`[^`\\]+`$/.test(name)) return true;
  return /^(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*$/.test(name) && !RESERVED.has(name) && !/^\.\.(?:\.|[0-9]+)$/.test(name);
}

function cleanRMessage(message: string): string {
  return message.replace(/\s+$/, '');
}

export class RConnection extends EventEmitter<RConnectionEvents> {
  readonly host: string;
  readonly port: number;
  private readonly socket: net.Socket;
  private readonly parser = new Parser();
  private readonly queue: RequestQueue;
  private readonly callTimeout: number | undefined;
  private readonly onOobMessage: ConnectOptions['onOobMessage'];
  private helloMessage: HelloMessage | null = null;
  private closing = false;
  private closeError: RError | null = null;
  private isClosed = false;

  private constructor(socket: net.Socket, options: ConnectOptions) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port;
    this.socket = socket;
    this.callTimeout = options.callTimeout;
    this.onOobMessage = options.onOobMessage;
    this.queue = new RequestQueue((bytes) => {
      if (this.socket.destroyed) throw this.deadError('the connection to R is closed');
      this.socket.write(bytes);
    });
  }

  /** Opens a connection and waits for the Rserve greeting. */
  static connect(options: ConnectOptions): Promise<RConnection> {
    const host = options.host ?? '127.0.0.1';
    const timeout = options.connectTimeout ?? 10_000;
    return new Promise<RConnection>((resolve, reject) => {
      const socket = net.connect({ host, port: options.port });
      socket.setNoDelay(true);
      const conn = new RConnection(socket, options);
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new RError('RSERVE_CONNECT', `cannot connect to Rserve at ${host}:${options.port}: ${e.message}`, { cause: e }));
      };
      const timer = setTimeout(() => fail(new Error(`no greeting within ${timeout} ms`)), timeout);
      const closedEarly = (): void => fail(new Error('connection closed before the greeting'));
      socket.once('error', fail);
      socket.once('close', closedEarly);
      conn.onHello = (hello) => {
        if (settled) return;
        if (hello.protocol !== ID_PROTOCOL) return fail(new Error(`unsupported protocol ${hello.protocol}`));
        if (hello.attributes.some((a) => a.startsWith('AR'))) {
          return fail(new Error('the server requires authentication, which this client does not support'));
        }
        settled = true;
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.removeListener('close', closedEarly);
        conn.attach();
        resolve(conn);
      };
      socket.on('data', (chunk) => conn.onData(chunk));
    });
  }

  private onHello: (hello: HelloMessage) => void = () => undefined;

  private attach(): void {
    this.socket.on('error', (e) => {
      this.closeError ??= this.deadError(`connection to R failed: ${e.message}`);
    });
    this.socket.on('close', () => this.onClose());
  }

  /** The greeting, e.g. `Rsrv0103QAP1`. */
  get hello(): HelloMessage {
    if (!this.helloMessage) throw new Error('not connected');
    return this.helloMessage;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** True while a request is being evaluated by R. */
  get busy(): boolean {
    return this.queue.busy;
  }

  /** Requests sent or waiting. */
  get pending(): number {
    return this.queue.size;
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Evaluates R code and returns the value of the last expression. */
  eval(code: string, options: CallOptions = {}): Promise<RValue> {
    return this.request(serialize.eval(code), this.evalAnswer(code, (p) => decodeResponseSexp(p.body)), options, 'eval');
  }

  /** Evaluates R code for its side effects (no value is sent back). */
  voidEval(code: string, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.voidEval(code), this.evalAnswer(code, () => undefined), options, 'voidEval');
  }

  /** Evaluates a call built with `rCall` (arguments travel as data, never pasted into code). */
  evalCall(call: RCall, options: CallOptions = {}): Promise<RValue> {
    return this.request(serialize.evalSexp(call), this.evalAnswer(null, (p) => decodeResponseSexp(p.body)), options, `${call.fn}()`);
  }

  /** Like `evalCall`, without sending the value back. */
  voidEvalCall(call: RCall, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.voidEvalSexp(call), this.evalAnswer(null, () => undefined), options, `${call.fn}()`);
  }

  /** Binds `value` to the symbol `name` in the global environment (`CMD_setSEXP`). */
  set(name: string, value: Encodable, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.setSEXP(name, value), this.okAnswer(`setSEXP(${name})`, () => undefined), options, 'setSEXP');
  }

  /**
   * `CMD_assignSEXP`: like `set`, but R parses the name, so a backquoted name works. Rserve 1.8
   * binds whatever the name parses to, and R crashes when that is not a symbol (e.g. `x$y`,
   * `TRUE`), so anything but a plain or backquoted name is refused here.
   */
  assign(target: string, value: Encodable, options: CallOptions = {}): Promise<void> {
    if (!isAssignableName(target)) {
      return Promise.reject(new RError('RSERVE_COMMAND', `assign: ${JSON.stringify(target)} is not a plain R name (use set, then eval)`));
    }
    return this.request(serialize.assignSEXP(target, value), this.okAnswer(`assignSEXP(${target})`, () => undefined), options, 'assignSEXP');
  }

  /** Opens a file on the R side for reading (relative paths are relative to R's working directory). */
  openFile(path: string, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.openFile(path), this.okAnswer(`openFile(${path})`, () => undefined), options, 'openFile');
  }

  /** Creates (truncates) a file on the R side for writing. */
  createFile(path: string, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.createFile(path), this.okAnswer(`createFile(${path})`, () => undefined), options, 'createFile');
  }

  /** Reads up to `size` bytes from the open file; an empty Buffer means end of file. */
  readFile(size = FILE_CHUNK, options: CallOptions = {}): Promise<Buffer> {
    return this.request(serialize.readFile(size), this.okAnswer('readFile', (p) => Buffer.from(p.body)), options, 'readFile');
  }

  writeFile(data: Buffer, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.writeFile(data), this.okAnswer('writeFile', () => undefined), options, 'writeFile');
  }

  closeFile(options: CallOptions = {}): Promise<void> {
    return this.request(serialize.closeFile(), this.okAnswer('closeFile', () => undefined), options, 'closeFile');
  }

  removeFile(path: string, options: CallOptions = {}): Promise<void> {
    return this.request(serialize.removeFile(path), this.okAnswer(`removeFile(${path})`, () => undefined), options, 'removeFile');
  }

  /** Writes a whole file on the R side (open, chunks, close) as one uninterrupted request. */
  writeWholeFile(path: string, data: Buffer, options: CallOptions = {}): Promise<void> {
    let offset = 0;
    const writeNext = (): Step<void> => {
      if (offset >= data.length) {
        return { next: serialize.closeFile(), then: this.okAnswer(`closeFile(${path})`, () => undefined) };
      }
      const chunk = data.subarray(offset, offset + FILE_CHUNK);
      offset += chunk.length;
      return { next: serialize.writeFile(chunk), then: afterWrite };
    };
    const afterWrite: StepHandler<void> = (p) => {
      const stat = answerStat(p);
      if (stat !== null) return this.closeThenFail(`writeFile(${path})`, stat);
      return writeNext();
    };
    const afterCreate: StepHandler<void> = (p) => {
      const stat = answerStat(p);
      if (stat !== null) throw this.commandError(`createFile(${path})`, stat);
      return writeNext();
    };
    return this.request(serialize.createFile(path), afterCreate, options, 'writeWholeFile');
  }

  /** Reads a whole file from the R side (open, chunks, close) as one uninterrupted request. */
  readWholeFile(path: string, options: CallOptions = {}): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const afterRead: StepHandler<Buffer> = (p) => {
      const stat = answerStat(p);
      if (stat !== null) return this.closeThenFail(`readFile(${path})`, stat);
      if (p.body.length === 0) {
        return { next: serialize.closeFile(), then: () => ({ done: Buffer.concat(chunks) }) };
      }
      chunks.push(Buffer.from(p.body));
      return { next: serialize.readFile(FILE_CHUNK), then: afterRead };
    };
    const afterOpen: StepHandler<Buffer> = (p) => {
      const stat = answerStat(p);
      if (stat !== null) throw this.commandError(`openFile(${path})`, stat);
      return { next: serialize.readFile(FILE_CHUNK), then: afterRead };
    };
    return this.request(serialize.openFile(path), afterOpen, options, 'readWholeFile');
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Ends the connection (R's process exits). Pending calls fail with `R_SESSION_CLOSED`. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.closing = true;
    return new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // If the peer does not close its side promptly, cut it.
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  /** Drops the connection at once. */
  destroy(error?: RError): void {
    if (this.isClosed) return;
    if (error) this.closeError ??= error;
    else this.closing = true;
    this.socket.destroy();
  }

  // ---- wiring --------------------------------------------------------------------------------

  private request<T>(packet: Buffer, handler: StepHandler<T>, options: CallOptions, label: string): Promise<T> {
    if (this.isClosed) return Promise.reject(this.closeError ?? new RError('R_SESSION_CLOSED', 'the R connection is closed'));
    const opts: EnqueueOptions = { timeout: options.timeout ?? this.callTimeout, priority: options.priority, label };
    return this.queue.push(packet, handler, opts);
  }

  /**
   * The answer to eval/voidEval. An R error is followed by `geterrmessage()`, a syntax error
   * by R's parser message, so the caller always gets R's own words.
   */
  private evalAnswer<T>(code: string | null, onOk: (p: PacketMessage) => T): StepHandler<T> {
    return (p) => {
      const stat = answerStat(p);
      if (stat === null) return { done: onOk(p) };
      if (stat === ERR_R_EVAL) {
        return {
          next: serialize.eval('geterrmessage()'),
          then: (q) => {
            const msg = answerStat(q) === null ? stringOf(decodeResponseSexp(q.body)) : null;
            throw new RError('R_ERROR', msg ? cleanRMessage(msg) : statName(stat), { status: stat });
          },
        };
      }
      if (code !== null && (stat === PARSE_ERROR || stat === PARSE_INCOMPLETE || stat === PARSE_EOF)) {
        return {
          next: serialize.evalSexp(parseMessageCall(code)),
          then: (q) => {
            const v = answerStat(q) === null ? decodeResponseSexp(q.body) : null;
            const msg = v && v.type === 'string' ? stringOf(v) : null;
            throw new RError('R_PARSE_ERROR', msg ? cleanRMessage(msg) : statName(stat), { status: stat });
          },
        };
      }
      throw this.commandError('eval', stat);
    };
  }

  private okAnswer<T>(what: string, onOk: (p: PacketMessage) => T): StepHandler<T> {
    return (p) => {
      const stat = answerStat(p);
      if (stat !== null) throw this.commandError(what, stat);
      return { done: onOk(p) };
    };
  }

  private closeThenFail<T>(what: string, stat: number): Step<T> {
    const error = this.commandError(what, stat);
    return {
      next: serialize.closeFile(),
      then: () => {
        throw error;
      },
    };
  }

  private commandError(what: string, stat: number): RError {
    return new RError('RSERVE_COMMAND', `${what} failed: ${statName(stat)} (status ${stat})`, { status: stat });
  }

  private deadError(message: string): RError {
    return new RError('R_SESSION_DEAD', message);
  }

  private onData(chunk: Buffer): void {
    try {
      this.parser.parse(chunk, (msg) => this.onMessage(msg));
    } catch (e) {
      const err = e instanceof RError ? e : new RError('RSERVE_PROTOCOL', `protocol error: ${(e as Error).message}`, { cause: e });
      this.closeError ??= err;
      this.socket.destroy();
    }
  }

  private onMessage(msg: ServerMessage): void {
    if (msg.kind === 'hello') {
      this.helloMessage = msg;
      this.onHello(msg);
      return;
    }
    if (isOobSend(msg.cmd)) {
      this.emit('oob', { kind: 'send', code: oobUserCode(msg.cmd), value: decodeResponseSexp(msg.body) });
      return;
    }
    if (isOobMsg(msg.cmd)) {
      const message: OobMessage = { kind: 'message', code: oobUserCode(msg.cmd), value: decodeResponseSexp(msg.body) };
      this.emit('oob', message);
      void this.replyOob(message);
      return;
    }
    if (!this.queue.receive(msg)) {
      throw new RError('RSERVE_PROTOCOL', `unsolicited packet 0x${msg.cmd.toString(16)}`);
    }
  }

  private async replyOob(message: OobMessage): Promise<void> {
    let reply: Encodable = { type: 'null' };
    if (this.onOobMessage) {
      try {
        reply = await this.onOobMessage(message);
      } catch {
        reply = { type: 'null' };
      }
    }
    if (!this.socket.destroyed) this.socket.write(serialize.oobReply(reply));
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const error =
      this.closeError ??
      (this.closing
        ? new RError('R_SESSION_CLOSED', 'the R connection was closed')
        : this.deadError('the R process ended unexpectedly (connection closed)'));
    this.queue.failAll(error);
    this.emit('close', this.closing && !this.closeError ? null : error);
  }
}
