/**
 * Storage: contents in ~1 MB chunks, stored once, and nothing left behind by a failed or
 * oversized upload, or by deletes.
 */
import crypto from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/app';
import { counts, signIn, type Caller } from './helpers';

const LIMIT = 3 * 1024 * 1024;
let server: TestServer;
let george: Caller;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_MAX_FILE_UPLOAD_SIZE: String(LIMIT) });
  await server.app.services.users.create({ username: 'george', password: 'pw-george' });
  george = await signIn(server, 'george', 'pw-george');
});
afterAll(() => server.close());

async function chunkSizes(sha256: string): Promise<number[]> {
  const rows = (await server.database.db('repo_blob_chunks as c')
    .join('repo_blobs as b', 'b.id', 'c.blob_id')
    .where('b.sha256', sha256)
    .orderBy('c.idx')
    .select(server.database.db.raw('length(c.data) as n'))) as { n: number }[];
  return rows.map((r) => Number(r.n));
}

it('stores contents as ~1 MB chunks keyed by content hash', async () => {
  const content = crypto.randomBytes(LIMIT - 5);
  const res = await george.upload('/r/repository/file/upload', content, { filename: 'at-limit.bin' });
  const file = res.body.deployr.response.repository.file as { sha256: string; length: number };
  expect(file.length).toBe(content.length);
  expect(await chunkSizes(file.sha256)).toEqual([1048576, 1048576, 1048576 - 5]);
  const down = await george.raw('/r/repository/file/download', { filename: 'at-limit.bin', author: 'george' });
  expect(crypto.createHash('sha256').update(down.body as Buffer).digest('hex')).toBe(file.sha256);
});

it('stores an empty file as a blob without chunks', async () => {
  const res = await george.upload('/r/repository/file/upload', Buffer.alloc(0), { filename: 'empty.txt' });
  const file = res.body.deployr.response.repository.file as { sha256: string; length: number };
  expect(file).toMatchObject({ length: 0, sha256: crypto.createHash('sha256').digest('hex') });
  const down = await george.raw('/r/repository/file/download', { filename: 'empty.txt', author: 'george' });
  expect(down.status).toBe(200);
  expect((down.body as Buffer).length).toBe(0);
});

it('refuses an upload over the limit with 400 and leaves no rows or blobs', async () => {
  const before = await counts(server);
  const res = await george.upload('/r/repository/file/upload', crypto.randomBytes(LIMIT + 1), { filename: 'too-big.bin' });
  expect(res.status).toBe(400);
  expect(res.body.deployr.response).toMatchObject({ success: false, errorCode: 400 });
  expect(await counts(server)).toEqual(before);
  expect(await george.call('/r/repository/file/fetch', { filename: 'too-big.bin' })).toMatchObject({ success: false });
});

it('refuses a write into a missing directory and stores nothing', async () => {
  const before = await counts(server);
  const r = await george.call('/r/repository/file/write', { filename: 'x.txt', text: crypto.randomUUID(), directory: 'does-not-exist' });
  expect(r).toMatchObject({ success: false, errorCode: 900 });
  expect(await counts(server)).toEqual(before);
});

it('leaves nothing behind when the blob write itself fails midway', async () => {
  const before = await counts(server);
  const repo = server.app.services.repository;
  const user = { id: (await server.database.db('users').where({ username: 'george' }).first('id')).id as string, username: 'george', displayname: 'george', roles: [] };
  async function* failing(): AsyncIterable<Buffer> {
    yield crypto.randomBytes(1024 * 1024);
    yield crypto.randomBytes(1024 * 1024);
    throw new Error('client went away');
  }
  await expect(repo.files.store(user, { filename: 'half.bin' }, failing)).rejects.toThrow('client went away');
  expect(await counts(server)).toEqual(before);
});

it('keeps a shared blob until its last reference goes', async () => {
  const text = `shared content ${crypto.randomUUID()}`;
  await george.call('/r/repository/file/write', { filename: 'one.txt', text });
  await george.call('/r/repository/file/write', { filename: 'two.txt', text });
  const sha = crypto.createHash('sha256').update(text).digest('hex');
  await george.call('/r/repository/file/delete', { filename: 'one.txt', directory: 'root' });
  expect(await chunkSizes(sha)).toEqual([Buffer.byteLength(text)]);
  await george.call('/r/repository/file/delete', { filename: 'two.txt', directory: 'root' });
  expect(await chunkSizes(sha)).toEqual([]);
});

it('keeps the contents of earlier versions and collects them with the file', async () => {
  const before = await counts(server);
  await george.call('/r/repository/file/write', { filename: 'hist.txt', text: `a ${crypto.randomUUID()}` });
  await george.call('/r/repository/file/write', { filename: 'hist.txt', text: `b ${crypto.randomUUID()}`, newversion: true });
  // Replacing the working copy releases its content.
  await george.call('/r/repository/file/write', { filename: 'hist.txt', text: `c ${crypto.randomUUID()}` });
  const mid = await counts(server);
  expect(mid.blobs - before.blobs).toBe(2);
  expect(mid.versions - before.versions).toBe(1);
  await george.call('/r/repository/file/delete', { filename: 'hist.txt', directory: 'root' });
  expect(await counts(server)).toEqual(before);
});

it('stores the same content uploaded concurrently once', async () => {
  const content = crypto.randomBytes(1024 * 1024 + 3);
  const results = await Promise.all(['c1.bin', 'c2.bin', 'c3.bin'].map((filename) => george.upload('/r/repository/file/upload', content, { filename })));
  const shas = results.map((r) => (r.body.deployr.response.repository.file as { sha256: string }).sha256);
  expect(new Set(shas).size).toBe(1);
  const blobs = await server.database.db('repo_blobs').where({ sha256: shas[0] }).count<{ n: string }[]>('* as n');
  expect(Number(blobs[0]!.n)).toBe(1);
});
