/** /r/repository/file/*: storing, metadata, versions, diff, revert, copy, move, delete, download. */
import crypto from 'node:crypto';
import { loginAgent, startTestServer, type TestServer } from '../helpers/app';
import { anonymous, counts, names, signIn, type Caller } from './helpers';

let server: TestServer;
let george: Caller;

beforeAll(async () => {
  server = await startTestServer();
  await server.app.services.users.create({ username: 'george', password: 'george-pw' });
  await server.app.services.users.create({ username: 'admin2', password: 'admin-pw', roles: ['ADMINISTRATOR'] });
  george = await signIn(server, 'george', 'george-pw');
});
afterAll(() => server.close());

const sha256 = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex');

describe('/r/repository/file/write and fetch', () => {
  it('writes a text file and answers repository.file with the reference properties', async () => {
    const r = await george.call('/r/repository/file/write', { filename: 'demo.R', text: 'x <- 1\n', descr: 'Sample R script.' });
    expect(r.success).toBe(true);
    expect(r.call).toBe('/r/repository/file/write');
    const file = (r.repository as { file: Record<string, unknown> }).file;
    expect(file).toEqual({
      filename: 'demo.R',
      directory: 'root',
      descr: 'Sample R script.',
      author: 'george',
      authors: ['george'],
      version: null,
      versionmsg: null,
      latestby: 'george',
      type: 'text/plain',
      category: 'script',
      tags: null,
      length: 7,
      sha256: sha256('x <- 1\n'),
      lastModified: expect.any(Number),
      restricted: null,
      shared: false,
      published: false,
      access: 'Private',
      url: expect.stringMatching(/^http:\/\/[^/]+\/deployr\/r\/repository\/file\/download\?filename=demo\.R&directory=root&author=george$/),
      inputs: null,
      outputs: null,
    });
  });

  it('fetches the latest metadata; non-scripts carry no inputs/outputs', async () => {
    await george.call('/r/repository/file/write', { filename: 'data.csv', text: 'a,b\n1,2\n', tags: 'sample' });
    const r = await george.call('/r/repository/file/fetch', { filename: 'data.csv', author: 'george' });
    const file = (r.repository as { file: Record<string, unknown> }).file;
    expect(file).toMatchObject({ filename: 'data.csv', category: 'data', type: 'text/plain', tags: 'sample', length: 8 });
    expect(file).not.toHaveProperty('inputs');
  });

  it('defaults author to the caller on fetch and answers 900 for a missing file', async () => {
    expect((await george.call('/r/repository/file/fetch', { filename: 'demo.R' })).success).toBe(true);
    const r = await george.call('/r/repository/file/fetch', { filename: 'nope.R', author: 'george' });
    expect(r).toMatchObject({ success: false, errorCode: 900 });
    expect(r.error).toContain('nope.R');
  });

  it('needs a login and the CSRF token on writes', async () => {
    const res = await anonymous(server).raw('/r/repository/file/write', { filename: 'x.txt', text: 'x' });
    expect(res.status).toBe(401);
    const { agent } = await loginAgent(server, 'george', 'george-pw');
    const noToken = await agent.post('/deployr/r/repository/file/write').type('form').send({ filename: 'x.txt', text: 'x' });
    expect(noToken.status).toBe(403);
    const viaGet = await agent.get('/deployr/r/repository/file/delete').query({ filename: 'demo.R' });
    expect(viaGet.status).toBe(403);
  });
});

describe('categories and content types by extension', () => {
  it.each([
    ['model.rData', 'R', 'application/octet-stream'],
    ['obj.rds', 'R', 'application/octet-stream'],
    ['score.r', 'script', 'text/plain'],
    ['table.xls', 'data', 'application/vnd.ms-excel'],
    ['plot.png', 'plot', 'image/png'],
    ['report.pdf', 'pdf', 'application/pdf'],
    ['notes.txt', 'text', 'text/plain'],
    ['archive.bin', 'other', 'application/octet-stream'],
  ])('%s is %s (%s)', async (filename, category, type) => {
    const r = await george.call('/r/repository/file/write', { filename, text: 'content' });
    expect((r.repository as { file: unknown }).file).toMatchObject({ category, type });
  });

  it('lists with categoryFilter', async () => {
    const r = await george.call('/r/repository/file/list', { categoryFilter: 'plot' });
    expect(names((r.repository as { files: unknown }).files)).toEqual(['plot.png']);
    const bad = await george.raw('/r/repository/file/list', { categoryFilter: 'bogus' });
    expect(bad.status).toBe(400);
  });
});

describe('/r/repository/file/upload', () => {
  it('stores the file part under the filename field and round-trips the bytes', async () => {
    const content = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const res = await george.upload('/r/repository/file/upload', content, { filename: 'blob.bin', descr: 'binary' });
    const file = (res.body.deployr.response.repository as { file: { length: number; sha256: string; filename: string } }).file;
    expect(file).toMatchObject({ filename: 'blob.bin', length: content.length, sha256: sha256(content) });
    const down = await george.raw('/r/repository/file/download', { filename: 'blob.bin', author: 'george', directory: 'root' });
    expect(down.status).toBe(200);
    expect(down.headers['content-type']).toBe('application/octet-stream');
    expect(down.headers['content-disposition']).toContain('attachment; filename="blob.bin"');
    expect(Buffer.compare(down.body as Buffer, content)).toBe(0);
  });

  it('refuses a missing file part with 400', async () => {
    const res = await george.raw('/r/repository/file/upload', { filename: 'x.txt' });
    expect(res.status).toBe(400);
  });

  it('stores identical contents once', async () => {
    const before = await counts(server);
    await george.call('/r/repository/file/write', { filename: 'same1.txt', text: 'identical content' });
    await george.call('/r/repository/file/write', { filename: 'same2.txt', text: 'identical content' });
    const after = await counts(server);
    expect(after.files - before.files).toBe(2);
    expect(after.blobs - before.blobs).toBe(1);
  });
});

describe('versions, diff and revert', () => {
  it('replaces the working copy unless newversion keeps the old one', async () => {
    await george.call('/r/repository/file/write', { filename: 'model.R', text: 'a <- 1\nb <- 2\n' });
    await george.call('/r/repository/file/write', { filename: 'model.R', text: 'a <- 1\nb <- 3\n' });
    let list = await george.call('/r/repository/file/list', { filename: 'model.R' });
    expect((list.repository as { files: unknown[] }).files).toHaveLength(1);

    const r = await george.call('/r/repository/file/write', { filename: 'model.R', text: 'a <- 10\nb <- 3\nc <- 4\n', newversion: true, newversionmsg: 'Third try.' });
    expect((r.repository as { file: unknown }).file).toMatchObject({ version: null, versionmsg: 'Third try.', length: 22 });

    list = await george.call('/r/repository/file/list', { filename: 'model.R' });
    const versions = (list.repository as { files: { version: string | null; sha256: string; versionmsg: string | null }[] }).files;
    expect(versions).toHaveLength(2);
    expect(versions[0]).toMatchObject({ version: null, versionmsg: 'Third try.' });
    expect(versions[1]!.version).toEqual(expect.any(String));
    expect(versions[1]!.sha256).toBe(sha256('a <- 1\nb <- 3\n'));
    const old = versions[1]!.version!;

    // fetch and download a specific version
    const fetched = await george.call('/r/repository/file/fetch', { filename: 'model.R', author: 'george', version: old });
    expect((fetched.repository as { file: unknown }).file).toMatchObject({ version: old, length: 14 });
    const url = ((fetched.repository as { file: { url: string } }).file.url);
    expect(url).toContain(`version=${old}`);
    const down = await george.raw('/r/repository/file/download', { filename: 'model.R', author: 'george', version: old });
    expect(down.body.toString()).toBe('a <- 1\nb <- 3\n');

    // diff: a unified diff between the version and the working copy
    const diff = await george.raw('/r/repository/file/diff', { filename: 'model.R', author: 'george', version: old });
    expect(diff.status).toBe(200);
    expect(diff.headers['content-type']).toMatch(/^text\/plain/);
    const text = diff.body.toString();
    expect(text).toContain('-a <- 1');
    expect(text).toContain('+a <- 10');
    expect(text).toContain('+c <- 4');

    // revert: the version becomes the working copy again, as a new version
    const rev = await george.call('/r/repository/file/revert', { filename: 'model.R', version: old, newversion: true, newversionmsg: 'Back to two.' });
    expect((rev.repository as { file: unknown }).file).toMatchObject({ version: null, versionmsg: 'Back to two.', sha256: sha256('a <- 1\nb <- 3\n') });
    list = await george.call('/r/repository/file/list', { filename: 'model.R' });
    expect((list.repository as { files: unknown[] }).files).toHaveLength(3);
    const current = await george.raw('/r/repository/file/download', { filename: 'model.R', author: 'george' });
    expect(current.body.toString()).toBe('a <- 1\nb <- 3\n');

    // revert without newversion replaces the working copy
    await george.call('/r/repository/file/revert', { filename: 'model.R', version: old });
    list = await george.call('/r/repository/file/list', { filename: 'model.R' });
    expect((list.repository as { files: unknown[] }).files).toHaveLength(3);
  });

  it('refuses a diff of a binary file and of an unknown version', async () => {
    await george.upload('/r/repository/file/upload', Buffer.from([0, 1, 2, 3]), { filename: 'bin.rData' });
    await george.upload('/r/repository/file/upload', Buffer.from([0, 1, 2, 4]), { filename: 'bin.rData', newversion: true });
    const list = await george.call('/r/repository/file/list', { filename: 'bin.rData' });
    const v = (list.repository as { files: { version: string | null }[] }).files[1]!.version!;
    const diff = await george.call('/r/repository/file/diff', { filename: 'bin.rData', author: 'george', version: v });
    expect(diff).toMatchObject({ success: false, errorCode: 900 });
    expect(diff.error).toContain('not a text file');
    const unknown = await george.call('/r/repository/file/revert', { filename: 'bin.rData', version: 'no-such-version' });
    expect(unknown).toMatchObject({ success: false, errorCode: 900 });
  });
});

describe('/r/repository/file/update', () => {
  it('changes properties and access controls; restricted implies shared', async () => {
    await george.call('/r/repository/file/write', { filename: 'props.R', text: 'x' });
    let r = await george.call('/r/repository/file/update', { filename: 'props.R', descr: 'New descr', inputs: 'x', outputs: 'y', restricted: 'MARKETING,POWER_USER' });
    expect((r.repository as { file: unknown }).file).toMatchObject({
      descr: 'New descr',
      inputs: 'x',
      outputs: 'y',
      restricted: 'MARKETING,POWER_USER',
      shared: true,
      published: false,
      access: 'Restricted',
    });
    r = await george.call('/r/repository/file/update', { filename: 'props.R', shared: true });
    expect((r.repository as { file: unknown }).file).toMatchObject({ restricted: null, shared: true, access: 'Shared', descr: 'New descr' });
    r = await george.call('/r/repository/file/update', { filename: 'props.R', published: true });
    expect((r.repository as { file: unknown }).file).toMatchObject({ published: true, access: 'Public' });
    r = await george.call('/r/repository/file/update', { filename: 'props.R', shared: false, published: false });
    expect((r.repository as { file: unknown }).file).toMatchObject({ access: 'Private' });
    r = await george.call('/r/repository/file/update', { filename: 'props.R', desrc: 'misspelt but accepted' });
    expect((r.repository as { file: unknown }).file).toMatchObject({ descr: 'misspelt but accepted' });
  });
});

describe('copy, move and delete', () => {
  beforeAll(async () => {
    await george.call('/r/repository/directory/create', { directory: 'work' });
    await george.call('/r/repository/file/write', { filename: 'copyme.R', text: 'v1' });
  });

  it('copies into another directory, and as a new version on a name clash', async () => {
    const r = await george.call('/r/repository/file/copy', { filename: 'copyme.R', directory: 'root', destination: 'work' });
    expect(r.success).toBe(true);
    await george.call('/r/repository/file/write', { filename: 'copyme.R', text: 'v2' });
    expect((await george.call('/r/repository/file/copy', { filename: 'copyme.R', directory: 'root', destination: 'work' })).success).toBe(true);
    const list = await george.call('/r/repository/file/list', { filename: 'copyme.R', directory: 'work' });
    const files = (list.repository as { files: { sha256: string; versionmsg: string }[] }).files;
    expect(files.map((f) => f.sha256)).toEqual([sha256('v2'), sha256('v1')]);
    expect(files[0]!.versionmsg).toBe('File copied from root directory.');
    // with a new name
    await george.call('/r/repository/file/copy', { filename: 'copyme.R', directory: 'root', destination: 'work', filerename: 'renamed.R' });
    const fetched = await george.call('/r/repository/file/fetch', { filename: 'renamed.R', directory: 'work' });
    expect((fetched.repository as { file: unknown }).file).toMatchObject({ sha256: sha256('v2'), directory: 'work' });
  });

  it('moves a file, keeping its history, and makes a new version on a clash', async () => {
    await george.call('/r/repository/file/write', { filename: 'mover.txt', text: 'm1' });
    await george.call('/r/repository/file/write', { filename: 'mover.txt', text: 'm2', newversion: true });
    const r = await george.call('/r/repository/file/move', { filename: 'mover.txt', directory: 'root', destination: 'work' });
    expect(r.success).toBe(true);
    expect((await george.call('/r/repository/file/fetch', { filename: 'mover.txt' })).success).toBe(false);
    let list = await george.call('/r/repository/file/list', { filename: 'mover.txt', directory: 'work' });
    expect((list.repository as { files: unknown[] }).files).toHaveLength(2);

    await george.call('/r/repository/file/write', { filename: 'mover.txt', text: 'm3' });
    expect((await george.call('/r/repository/file/move', { filename: 'mover.txt', directory: 'root', destination: 'work' })).success).toBe(true);
    list = await george.call('/r/repository/file/list', { filename: 'mover.txt', directory: 'work' });
    const files = (list.repository as { files: { sha256: string }[] }).files;
    expect(files).toHaveLength(3);
    expect(files[0]!.sha256).toBe(sha256('m3'));
  });

  it('deletes several files and their unreferenced contents', async () => {
    await george.call('/r/repository/file/write', { filename: 'del1.txt', text: crypto.randomUUID() });
    await george.call('/r/repository/file/write', { filename: 'del2.txt', text: crypto.randomUUID() });
    const before = await counts(server);
    const r = await george.call('/r/repository/file/delete', { filename: 'del1.txt,del2.txt', directory: 'root' });
    expect(r.success).toBe(true);
    const after = await counts(server);
    expect(before.files - after.files).toBe(2);
    expect(before.blobs - after.blobs).toBe(2);
    const again = await george.call('/r/repository/file/delete', { filename: 'del1.txt', directory: 'root' });
    expect(again).toMatchObject({ success: false, errorCode: 900 });
  });

  it('downloads several files as one zip', async () => {
    const res = await george.raw('/r/repository/file/download', { filename: 'copyme.R,renamed.R', author: 'george', directory: 'root,work' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect((res.body as Buffer).subarray(0, 2).toString()).toBe('PK');
  });
});

describe('file types and names', () => {
  it('refuses blocked file types except for administrators', async () => {
    for (const filename of ['run.sh', 'x.exe', 'a.bat', 'b.bash', 'c.csh', 'd.tcsh']) {
      const r = await george.call('/r/repository/file/write', { filename, text: 'echo hi' });
      expect(r).toMatchObject({ success: false, errorCode: 900 });
      expect(r.error).toContain('forbidden');
    }
    const up = await george.upload('/r/repository/file/upload', Buffer.from('echo'), { filename: 'up.sh' });
    expect(up.body.deployr.response).toMatchObject({ success: false, errorCode: 900 });
    const admin = await signIn(server, 'admin2', 'admin-pw');
    expect((await admin.call('/r/repository/file/write', { filename: 'run.sh', text: 'echo hi' })).success).toBe(true);
  });

  it.each([
    ['../escape.txt'],
    ['a/b.txt'],
    ['a\\b.txt'],
    ['..'],
    ['nul\u0000byte.txt'],
    ['x'.repeat(300)],
    ['comma,name.txt'],
  ])('refuses the filename %j with 400 and stores nothing', async (filename) => {
    const before = await counts(server);
    const res = await george.raw('/r/repository/file/write', { filename, text: 'x' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).deployr.response).toMatchObject({ success: false, errorCode: 400 });
    expect(await counts(server)).toEqual(before);
  });

  it.each([['../etc'], ['a/b'], ['Public'], ['dir\u0000'], ['d'.repeat(300)], ['external-no:colon']])('refuses the directory %j', async (directory) => {
    const res = await george.raw('/r/repository/file/write', { filename: 'ok.txt', text: 'x', directory });
    expect(res.status).toBe(400);
  });

  it('refuses a fetch with a path in the filename', async () => {
    const res = await george.raw('/r/repository/file/fetch', { filename: '../../etc/passwd', author: 'george' });
    expect(res.status).toBe(400);
  });

  it('refuses writes into a directory that does not exist and into the external repository', async () => {
    expect(await george.call('/r/repository/file/write', { filename: 'a.txt', text: 'x', directory: 'missing' })).toMatchObject({ success: false, errorCode: 900 });
    const ext = await george.call('/r/repository/file/write', { filename: 'a.txt', text: 'x', directory: 'external:root' });
    expect(ext).toMatchObject({ success: false, errorCode: 900 });
    expect(ext.error).toContain('read-only');
  });
});
