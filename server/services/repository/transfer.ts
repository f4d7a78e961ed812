/**
 * Fetching a file from a URL for `/r/repository/file/transfer`: http(s) only, size-limited,
 * with a deadline for the response headers, for silence between chunks and for the whole
 * transfer. Failures are call errors (900) that say what went wrong.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DeployRError } from '../../rpc/errors';

export interface TransferLimits {
  maxBytes: number;
  /** Also refuse loopback and private networks (link-local, i.e. cloud metadata, is always refused). */
  denyPrivate?: boolean;
  /** Until the response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence while the body streams. */
  idleTimeoutMs: number;
  /** The whole transfer. */
  totalTimeoutMs: number;
}

export const DEFAULT_TRANSFER_LIMITS: Omit<TransferLimits, 'maxBytes'> = {
  headersTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  totalTimeoutMs: 10 * 60_000,
};

function failure(url: string, reason: string): DeployRError {
  return new DeployRError(900, `Unable to transfer file from URL '${url}': ${reason}`);
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (e?.cause?.code === 'ENOTFOUND' || e?.cause?.code === 'EAI_AGAIN') return 'host not found';
  if (e?.cause?.code) return `${e.cause.code}${e.cause.message ? ` (${e.cause.message})` : ''}`;
  return e?.cause?.message ?? e?.message ?? String(err);
}

export function parseTransferUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DeployRError(400, `Bad Request: '${raw}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DeployRError(400, `Bad Request: only http and https URLs can be transferred (got ${url.protocol.replace(/:$/, '')})`);
  }
  return url;
}

const MAX_REDIRECTS = 5;

/** The address classes a transfer may never reach, and those refused with `denyPrivate`. */
function classify(address: string): 'link-local' | 'private' | 'public' {
  const v4 = net.isIPv4(address) ? address : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) {
    const [a, b] = v4.split('.').map(Number);
    if (a === 169 && b === 254) return 'link-local';
    if (a === 0) return 'link-local';
    if (a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    return 'public';
  }
  const lower = address.toLowerCase();
  if (/^fe[89ab]/.test(lower) || lower === '::') return 'link-local';
  if (lower === '::1' || /^f[cd]/.test(lower)) return 'private';
  return 'public';
}

/**
 * Refuses hosts that resolve to link-local addresses (cloud metadata services live there) and,
 * when configured, to loopback and private networks. Checked again on every redirect.
 */
async function checkHost(url: URL, raw: string, denyPrivate: boolean): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw failure(raw, 'host not found');
  }
  for (const address of addresses) {
    const kind = classify(address);
    if (kind === 'link-local' || (kind === 'private' && denyPrivate)) {
      throw failure(raw, `the host resolves to a ${kind} address (${address}), which transfers may not reach`);
    }
  }
}

/** fetch with redirects followed by hand, so every hop passes the host check. */
async function fetchChecked(url: URL, raw: string, limits: TransferLimits, signal: AbortSignal): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    await checkHost(current, raw, !!limits.denyPrivate);
    const response = await fetch(current, { signal, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw failure(raw, `more than ${MAX_REDIRECTS} redirects`);
    current = parseTransferUrl(new URL(location, current).toString());
  }
}

/**
 * Opens the URL and returns its body as chunks, which fail as soon as a limit is crossed.
 * `signal` ends the transfer early (the caller went away).
 */
export interface OpenedUrl {
  chunks: AsyncIterable<Buffer>;
  length: number | undefined;
  /** Ends the transfer and its timers (also when the chunks were never read). */
  close(): void;
}

export async function openUrl(raw: string, limits: TransferLimits, signal?: AbortSignal): Promise<OpenedUrl> {
  const url = parseTransferUrl(raw);
  const controller = new AbortController();
  let reason = '';
  const abort = (why: string): void => {
    if (!reason) reason = why;
    controller.abort();
  };
  const total = setTimeout(() => abort(`no complete answer within ${limits.totalTimeoutMs} ms`), limits.totalTimeoutMs);
  const headers = setTimeout(() => abort(`no answer within ${limits.headersTimeoutMs} ms`), limits.headersTimeoutMs);
  const onCallerGone = (): void => abort('the request was cancelled');
  signal?.addEventListener('abort', onCallerGone, { once: true });
  const done = (): void => {
    clearTimeout(total);
    clearTimeout(headers);
    signal?.removeEventListener('abort', onCallerGone);
  };

  let response: Response;
  try {
    response = await fetchChecked(url, raw, limits, controller.signal);
  } catch (err) {
    done();
    if (err instanceof DeployRError) throw err;
    throw failure(raw, reason || describe(err));
  } finally {
    clearTimeout(headers);
  }
  if (!response.ok || !response.body) {
    done();
    await response.body?.cancel().catch(() => {});
    throw failure(raw, `the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const declared = Number(response.headers.get('content-length'));
  const length = Number.isFinite(declared) && response.headers.has('content-length') ? declared : undefined;
  if (length !== undefined && length > limits.maxBytes) {
    done();
    await response.body.cancel().catch(() => {});
    throw failure(raw, `the file is larger (${length} bytes) than the maximum file upload size of ${limits.maxBytes} bytes`);
  }
  const body = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);

  async function* chunks(): AsyncIterable<Buffer> {
    let received = 0;
    let idle = setTimeout(() => abort(`no data for ${limits.idleTimeoutMs} ms`), limits.idleTimeoutMs);
    try {
      for await (const chunk of body) {
        clearTimeout(idle);
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        received += buf.length;
        if (received > limits.maxBytes) {
          abort('too large');
          throw failure(raw, `the file is larger than the maximum file upload size of ${limits.maxBytes} bytes`);
        }
        yield buf;
        idle = setTimeout(() => abort(`no data for ${limits.idleTimeoutMs} ms`), limits.idleTimeoutMs);
      }
    } catch (err) {
      if (err instanceof DeployRError) throw err;
      throw failure(raw, reason || describe(err));
    } finally {
      clearTimeout(idle);
      done();
      body.destroy();
    }
  }
  return {
    chunks: chunks(),
    length,
    close() {
      done();
      controller.abort();
      body.destroy();
    },
  };
}
