/**
 * The pending requests of one connection.
 *
 * Rserve answers strictly in order and one R process runs one command at a time, so requests
 * are written one at a time: the next packet leaves only when the previous answer is in. A
 * request may take several round trips (e.g. eval, then `geterrmessage()` after an error, or a
 * file read in chunks); its steps run back to back, with nothing from other callers between.
 * When the socket dies every waiter is failed at once.
 */
import type { PacketMessage } from './messages';
import { RError } from './errors';

/** What a request does with a response: finish with a value, or send a follow-up packet. */
export type Step<T> = { done: T } | { next: Buffer; then: StepHandler<T> };
export type StepHandler<T> = (packet: PacketMessage) => Step<T>;

export interface EnqueueOptions {
  /** Milliseconds until the caller gives up (from enqueue). The answer is then discarded. */
  timeout?: number;
  /** Goes before every request not yet sent (used for the throw-away eval after SIGINT). */
  priority?: boolean;
  /** A label for error messages. */
  label?: string;
}

interface Pending {
  packet: Buffer;
  handler: StepHandler<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  /** The caller has gone (timed out); the answer is read and dropped. */
  abandoned: boolean;
  label: string;
}

const EMPTY = Buffer.alloc(0);

export class RequestQueue {
  private waiting: Pending[] = [];
  private current: Pending | null = null;
  private failure: Error | null = null;

  constructor(private readonly write: (bytes: Buffer) => void) {}

  /** Requests sent or waiting. */
  get size(): number {
    return this.waiting.length + (this.current ? 1 : 0);
  }

  /** True when a request is on the wire (R is busy with it). */
  get busy(): boolean {
    return this.current !== null;
  }

  get failed(): Error | null {
    return this.failure;
  }

  push<T>(packet: Buffer, handler: StepHandler<T>, options: EnqueueOptions = {}): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        packet,
        handler: handler as StepHandler<unknown>,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: null,
        abandoned: false,
        label: options.label ?? 'request',
      };
      if (options.timeout !== undefined && options.timeout > 0 && Number.isFinite(options.timeout)) {
        pending.timer = setTimeout(() => this.timeOut(pending, options.timeout ?? 0), options.timeout);
      }
      if (options.priority) this.waiting.unshift(pending);
      else this.waiting.push(pending);
      this.pump();
    });
  }

  /** Feeds the answer to the request on the wire. Returns false when none was expected. */
  receive(packet: PacketMessage): boolean {
    const p = this.current;
    if (!p) return false;
    let step: Step<unknown>;
    try {
      step = p.handler(packet);
    } catch (e) {
      this.current = null;
      this.settle(p, () => p.reject(e instanceof Error ? e : new Error(String(e))));
      this.pump();
      return true;
    }
    if ('next' in step && !p.abandoned) {
      p.handler = step.then as StepHandler<unknown>;
      this.send(p, step.next);
      return true;
    }
    this.current = null;
    if ('done' in step) this.settle(p, () => p.resolve(step.done));
    this.pump();
    return true;
  }

  /** Fails the request on the wire and all waiting ones; later pushes fail with the same error. */
  failAll(error: Error): void {
    if (!this.failure) this.failure = error;
    const all = this.current ? [this.current, ...this.waiting] : [...this.waiting];
    this.current = null;
    this.waiting = [];
    for (const p of all) this.settle(p, () => p.reject(error));
  }

  private settle(p: Pending, action: () => void): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (p.abandoned) return;
    p.abandoned = true; // settled: never again
    action();
  }

  private timeOut(p: Pending, ms: number): void {
    p.timer = null;
    const i = this.waiting.indexOf(p);
    if (i >= 0) this.waiting.splice(i, 1);
    this.settle(p, () => p.reject(new RError('R_TIMEOUT', `${p.label} timed out after ${ms} ms`)));
  }

  private pump(): void {
    if (this.current || this.failure) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.send(next, next.packet);
  }

  private send(p: Pending, bytes: Buffer): void {
    this.current = p;
    p.packet = EMPTY; // do not keep a large packet alive after it is handed to the socket
    try {
      this.write(bytes);
    } catch (e) {
      this.failAll(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
