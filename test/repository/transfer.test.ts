/** /r/repository/file/transfer against a local HTTP server: success, limits, failures. */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/app';
import { freePort } from '../../server/db/embedded';
import { counts, signIn, type Caller } from './helpers';

const LIMIT = 64 * 1024;
let server: TestServer;
let george: Caller;
let source: http.Server;
let base: string;
const big = crypto.randomBytes(LIMIT + 10);
const payload = 'x <- rnorm(10)\nprint(x)\n';

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_MAX_FILE_UPLOAD_SIZE: String(LIMIT) });
  await server.app.services.users.create({ username: 'george', password: 'pw-george' });
  george = await signIn(server, 'george', 'pw-george');
  source = http.createServer((req, res) => {
    if (req.url === '/script.R') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(payload);
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/script.R' }).end();
    } else if (req.url === '/big-declared') {
      res.writeHead(200, { 'content-length': String(big.length) }).end(big);
    } else if (req.url === '/big-chunked') {
      res.writeHead(200); // no content-length: the limit is enforced while streaming
      res.write(big.subarray(0, LIMIT / 2));
      setTimeout(() => res.end(big.subarray(LIMIT / 2)), 10);
    } else if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    } else if (req.url === '/hang') {
      // never answers
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
});
afterAll(async () => {
  source.closeAllConnections();
  await new Promise((resolve) => source.close(resolve));
  await server.close();
});

it('transfers a file from a URL into the repository', async () => {
  const r = await george.call('/r/repository/file/transfer', { filename: 'remote.R', url: `${base}/script.R`, descr: 'From the web', published: true });
  expect(r.success).toBe(true);
  expect((r.repository as { file: unknown }).file).toMatchObject({
    filename: 'remote.R',
    descr: 'From the web',
    length: payload.length,
    sha256: crypto.createHash('sha256').update(payload).digest('hex'),
    access: 'Public',
    category: 'script',
  });
  const down = await george.raw('/r/repository/file/download', { filename: 'remote.R', author: 'george' });
  expect(down.body.toString()).toBe(payload);
});

it('follows redirects and makes new versions when asked', async () => {
  const r = await george.call('/r/repository/file/transfer', { filename: 'remote.R', url: `${base}/redirect`, newversion: true, newversionmsg: 'again' });
  expect((r.repository as { file: unknown }).file).toMatchObject({ versionmsg: 'again' });
});

describe('failures leave nothing behind', () => {
  let before: Awaited<ReturnType<typeof counts>>;
  beforeEach(async () => {
    before = await counts(server);
  });
  afterEach(async () => {
    expect(await counts(server)).toEqual(before);
  });

  it('answers an HTTP error of the source as a 900 naming the status', async () => {
    const r = await george.call('/r/repository/file/transfer', { filename: 'missing.R', url: `${base}/nothing` });
    expect(r).toMatchObject({ success: false, errorCode: 900 });
    expect(r.error).toContain('HTTP 404');
  });

  it('answers an unreachable host clearly', async () => {
    const port = await freePort();
    const r = await george.call('/r/repository/file/transfer', { filename: 'x.R', url: `http://127.0.0.1:${port}/x.R` });
    expect(r).toMatchObject({ success: false, errorCode: 900 });
    expect(r.error).toMatch(/Unable to transfer file from URL .*connection refused/);
  });

  it('refuses a file larger than the upload limit, declared or streamed', async () => {
    for (const path of ['/big-declared', '/big-chunked']) {
      const r = await george.call('/r/repository/file/transfer', { filename: 'big.bin', url: `${base}${path}` });
      expect(r).toMatchObject({ success: false, errorCode: 900 });
      expect(r.error).toContain('maximum file upload size');
    }
  });

  it('refuses URLs that are not http(s) and blocked file types', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x.R', 'not a url']) {
      const res = await george.raw('/r/repository/file/transfer', { filename: 'x.R', url });
      expect(res.status).toBe(400);
    }
    const blocked = await george.call('/r/repository/file/transfer', { filename: 'x.sh', url: `${base}/script.R` });
    expect(blocked).toMatchObject({ success: false, errorCode: 900 });
  });

  it('gives up on a source that does not answer in time', async () => {
    const files = server.app.services.repository.files;
    const saved = files.limits.transfer;
    files.limits.transfer = { headersTimeoutMs: 200, idleTimeoutMs: 200, totalTimeoutMs: 1000 };
    try {
      const r = await george.call('/r/repository/file/transfer', { filename: 'slow.R', url: `${base}/hang` });
      expect(r).toMatchObject({ success: false, errorCode: 900 });
      expect(r.error).toContain('no answer within 200 ms');
    } finally {
      files.limits.transfer = saved;
    }
  });

  it('never reaches link-local addresses (cloud metadata), not even through a redirect', async () => {
    const before = await counts(server);
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', `${base}/to-metadata`]) {
      const r = await george.call('/r/repository/file/transfer', { filename: 'meta.txt', url });
      expect(r).toMatchObject({ success: false, errorCode: 900 });
      expect(r.error).toMatch(/link-local address/);
    }
    expect(await counts(server)).toEqual(before);
  });

  it('refuses loopback and private networks when DEPLOYR_TRANSFER_DENY_PRIVATE is set', async () => {
    const files = server.app.services.repository.files;
    const saved = files.limits.transfer;
    files.limits.transfer = { ...saved, denyPrivate: true };
    try {
      const r = await george.call('/r/repository/file/transfer', { filename: 'local.R', url: `${base}/script.R` });
      expect(r).toMatchObject({ success: false, errorCode: 900 });
      expect(r.error).toMatch(/private address \(127\.0\.0\.1\)/);
    } finally {
      files.limits.transfer = saved;
    }
  });
});
