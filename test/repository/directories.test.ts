/** /r/repository/directory/*: list, create, rename, copy, move, update, archive, upload, download, delete. */
import yauzl from 'yauzl';
import yazl from 'yazl';
import { startTestServer, type TestServer } from '../helpers/app';
import { counts, names, signIn, type Caller } from './helpers';

let server: TestServer;
let george: Caller;
let susan: Caller;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_MAX_FILE_UPLOAD_SIZE: String(256 * 1024) });
  await server.app.services.users.create({ username: 'george', password: 'pw-george' });
  await server.app.services.users.create({ username: 'susan', password: 'pw-susan' });
  george = await signIn(server, 'george', 'pw-george');
  susan = await signIn(server, 'susan', 'pw-susan');
});
afterAll(() => server.close());

type Listing = { directory: string; files: { filename: string; directory: string; versionmsg: string | null }[] };
type Directories = { user: Listing[]; system: Listing[]; metadata: { custom: string[]; archived: string[] } };

async function directories(who: Caller, fields: Record<string, string | boolean> = {}): Promise<Directories> {
  const r = await who.call('/r/repository/directory/list', fields);
  expect(r.success).toBe(true);
  return (r.repository as { directories: Directories }).directories;
}

async function write(who: Caller, filename: string, directory = 'root', text = `${filename} in ${directory}`): Promise<void> {
  const r = await who.call('/r/repository/file/write', { filename, directory, text });
  expect(r.success).toBe(true);
}

function zipOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) zip.addEmptyDirectory(name);
    else zip.addBuffer(Buffer.from(content), name);
  }
  zip.end();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => parts.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
  });
}

async function unzip(buf: Buffer): Promise<Record<string, string>> {
  const zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true });
  const out: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStreamPromise(entry).then((s) => {
        const parts: Buffer[] = [];
        s.on('data', (c: Buffer) => parts.push(c));
        s.on('end', () => {
          out[entry.fileName] = Buffer.concat(parts).toString();
          zip.readEntry();
        });
      }, reject);
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}

describe('create and list', () => {
  it('starts with root, then lists custom directories with the metadata block', async () => {
    let dirs = await directories(george);
    expect(dirs.user).toEqual([{ directory: 'root', files: [] }]);
    expect(dirs.system.map((d) => d.directory)).toEqual(['Restricted', 'Shared', 'Public']);
    expect(dirs.metadata).toEqual({ custom: ['root'], archived: [] });

    const r = await george.call('/r/repository/directory/create', { directory: 'demo' });
    expect(r.repository).toEqual({ directory: { directory: 'demo', owner: 'george' } });
    await george.call('/r/repository/directory/create', { directory: 'projectX' });
    await write(george, 'SavedX.rData', 'projectX');
    await write(george, 'score.R', 'projectX');
    await write(george, 'top.R');

    dirs = await directories(george);
    expect(dirs.user.map((d) => d.directory)).toEqual(['root', 'demo', 'projectX']);
    expect(dirs.user.every((d) => d.files.length === 0)).toBe(true);

    dirs = await directories(george, { userfiles: true });
    expect(dirs.user.map((d) => [d.directory, names(d.files)])).toEqual([
      ['root', ['top.R']],
      ['demo', []],
      ['projectX', ['SavedX.rData', 'score.R']],
    ]);

    dirs = await directories(george, { directory: 'projectX', categoryFilter: 'R' });
    expect(dirs.user.map((d) => [d.directory, names(d.files)])).toEqual([
      ['root', []],
      ['demo', []],
      ['projectX', ['SavedX.rData']],
    ]);
  });

  it('refuses duplicates, reserved and invalid names', async () => {
    expect(await george.call('/r/repository/directory/create', { directory: 'demo' })).toMatchObject({ success: false, errorCode: 900 });
    expect(await george.call('/r/repository/directory/create', { directory: 'root' })).toMatchObject({ success: false, errorCode: 900 });
    expect(await george.call('/r/repository/directory/create', { directory: 'x.archive' })).toMatchObject({ success: false, errorCode: 900 });
    for (const directory of ['..', 'a/b', 'Shared', 'tab\there', 'x:y']) {
      expect((await george.raw('/r/repository/directory/create', { directory })).status).toBe(400);
    }
    expect(await george.call('/r/repository/directory/create', { directory: 'external:root:x' })).toMatchObject({ success: false, errorCode: 900 });
    expect(await george.call('/r/repository/directory/list', { directory: 'nope' })).toMatchObject({ success: false, errorCode: 900 });
  });

  it('keeps directories per user', async () => {
    expect((await directories(susan)).user.map((d) => d.directory)).toEqual(['root']);
    expect((await susan.call('/r/repository/directory/create', { directory: 'demo' })).success).toBe(true);
  });
});

describe('rename, copy, move, update', () => {
  it('renames a directory with its files; root cannot be renamed', async () => {
    await george.call('/r/repository/directory/create', { directory: 'old' });
    await write(george, 'a.R', 'old');
    const r = await george.call('/r/repository/directory/rename', { directory: 'old', destination: 'new' });
    expect(r.repository).toEqual({ directory: { directory: 'new', owner: 'george' } });
    const dirs = await directories(george, { userfiles: true });
    expect(dirs.user.map((d) => d.directory)).not.toContain('old');
    expect(names(dirs.user.find((d) => d.directory === 'new')!.files)).toEqual(['a.R']);
    expect(await george.call('/r/repository/directory/rename', { directory: 'root', destination: 'x' })).toMatchObject({ success: false, errorCode: 900 });
    expect(await george.call('/r/repository/directory/rename', { directory: 'new', destination: 'demo' })).toMatchObject({ success: false, errorCode: 900 });
  });

  it('skips files with several authors with a warning and keeps the source', async () => {
    await george.call('/r/repository/directory/create', { directory: 'shared-work' });
    await write(george, 'mine.R', 'shared-work');
    await write(george, 'ours.R', 'shared-work');
    await george.call('/r/repository/file/grant', { filename: 'ours.R', directory: 'shared-work', newauthor: 'susan' });
    const r = await george.call('/r/repository/directory/rename', { directory: 'shared-work', destination: 'moved-work' });
    expect(r.success).toBe(true);
    expect(r.warnings).toEqual([expect.stringContaining("'ours.R'")]);
    const dirs = await directories(george, { userfiles: true });
    expect(names(dirs.user.find((d) => d.directory === 'shared-work')!.files)).toEqual(['ours.R']);
    expect(names(dirs.user.find((d) => d.directory === 'moved-work')!.files)).toEqual(['mine.R']);
    // susan sees the co-authored file's directory as hers too
    expect((await directories(susan)).user.map((d) => d.directory)).toContain('shared-work');
  });

  it('copies all or named files as new versions', async () => {
    await george.call('/r/repository/directory/create', { directory: 'copies' });
    expect((await george.call('/r/repository/directory/copy', { directory: 'projectX', destination: 'copies' })).success).toBe(true);
    expect((await george.call('/r/repository/directory/copy', { directory: 'projectX', destination: 'copies', filename: 'score.R', filerename: 'score2.R' })).success).toBe(true);
    expect((await george.call('/r/repository/directory/copy', { directory: 'projectX', destination: 'copies', filename: 'score.R' })).success).toBe(true);
    const dirs = await directories(george, { directory: 'copies' });
    expect(names(dirs.user.find((d) => d.directory === 'copies')!.files)).toEqual(['SavedX.rData', 'score.R', 'score2.R']);
    const versions = await george.call('/r/repository/file/list', { filename: 'score.R', directory: 'copies' });
    expect((versions.repository as { files: unknown[] }).files).toHaveLength(2);
    // the source is untouched
    expect(names((await directories(george, { directory: 'projectX' })).user.find((d) => d.directory === 'projectX')!.files)).toEqual(['SavedX.rData', 'score.R']);
    const missing = await george.call('/r/repository/directory/copy', { directory: 'projectX', destination: 'copies', filename: 'ghost.R' });
    expect(missing).toMatchObject({ success: false, errorCode: 900 });
  });

  it('moves named files into an existing directory', async () => {
    await george.call('/r/repository/directory/create', { directory: 'target' });
    expect((await george.call('/r/repository/directory/move', { directory: 'copies', destination: 'target', filename: 'score2.R' })).success).toBe(true);
    expect(names((await directories(george, { directory: 'target' })).user.find((d) => d.directory === 'target')!.files)).toEqual(['score2.R']);
    expect(await george.call('/r/repository/directory/move', { directory: 'copies', destination: 'nowhere' })).toMatchObject({ success: false, errorCode: 900 });
  });

  it('updates access controls of a directory\'s files', async () => {
    expect((await george.call('/r/repository/directory/update', { directory: 'target', published: true })).success).toBe(true);
    const r = await susan.call('/r/repository/file/list', { published: true });
    // her own co-authored ours.R, and george's newly published score2.R
    const files = (r.repository as { files: { filename: string; author: string; access: string }[] }).files;
    expect(files.map((f) => [f.filename, f.author, f.access]).sort()).toEqual([
      ['ours.R', 'susan', 'Private'],
      ['score2.R', 'george', 'Public'],
    ]);
  });
});

describe('archive', () => {
  it('archives a directory into <name>.archive and removes the emptied source', async () => {
    await george.call('/r/repository/directory/create', { directory: 'savedExamples' });
    await write(george, 'test.R', 'savedExamples');
    const r = await george.call('/r/repository/directory/archive', { directory: 'savedExamples' });
    expect(r.repository).toEqual({ directory: { directory: 'savedExamples.archive', owner: 'george' } });
    let dirs = await directories(george);
    expect(dirs.user.map((d) => d.directory)).not.toContain('savedExamples');
    expect(dirs.user.map((d) => d.directory)).not.toContain('savedExamples.archive');
    expect(dirs.metadata.archived).toEqual(['savedExamples.archive']);
    dirs = await directories(george, { archived: true, userfiles: true });
    const archive = dirs.user.find((d) => d.directory === 'savedExamples.archive')!;
    expect(archive.files).toEqual([expect.objectContaining({ filename: 'test.R', directory: 'savedExamples.archive', versionmsg: 'File archived from savedExamples directory.' })]);
    // archived files are not in the default file list, but are with archived=true
    expect(names(((await george.call('/r/repository/file/list')).repository as { files: unknown }).files)).not.toContain('test.R');
    expect(names(((await george.call('/r/repository/file/list', { archived: true })).repository as { files: unknown }).files)).toContain('test.R');
  });

  it('preserves root when archiving it, and names the archive as asked', async () => {
    await write(george, 'rootfile.txt');
    const r = await george.call('/r/repository/directory/archive', { directory: 'root', archive: 'root-2024', filename: 'rootfile.txt' });
    expect(r.repository).toEqual({ directory: { directory: 'root-2024.archive', owner: 'george' } });
    const dirs = await directories(george, { archived: true, userfiles: true });
    expect(dirs.user[0]!.directory).toBe('root');
    expect(names(dirs.user.find((d) => d.directory === 'root-2024.archive')!.files)).toEqual(['rootfile.txt']);
  });

  it('keeps a source whose multi-author files could not be archived', async () => {
    const r = await george.call('/r/repository/directory/archive', { directory: 'shared-work' });
    expect(r.warnings).toEqual([expect.stringContaining('ours.R')]);
    expect((await directories(george)).user.map((d) => d.directory)).toContain('shared-work');
  });
});

describe('zip upload and download', () => {
  it('round-trips a directory through zip upload and download', async () => {
    await george.call('/r/repository/directory/create', { directory: 'zipped' });
    const zip = await zipOf({ 'a.R': 'x <- 1', 'nested/folder/b.csv': 'a,b\n1,2', '__MACOSX/._a.R': 'junk', 'empty/': '' });
    const res = await george.upload('/r/repository/directory/upload', zip, { directory: 'zipped', descr: 'from zip', shared: true });
    expect(res.body.deployr.response).toMatchObject({ success: true, call: '/r/repository/directory/upload' });
    const listed = (await directories(george, { directory: 'zipped' })).user.find((d) => d.directory === 'zipped')!;
    expect(names(listed.files)).toEqual(['a.R', 'b.csv']);
    expect(listed.files[0]).toMatchObject({ descr: 'from zip', access: 'Shared' });

    const down = await george.raw('/r/repository/directory/download', { directory: 'zipped' });
    expect(down.status).toBe(200);
    expect(down.headers['content-type']).toBe('application/zip');
    expect(down.headers['content-disposition']).toContain('zipped.zip');
    expect(await unzip(down.body as Buffer)).toEqual({ 'a.R': 'x <- 1', 'b.csv': 'a,b\n1,2' });

    const some = await george.raw('/r/repository/directory/download', { directory: 'zipped', filename: 'b.csv' });
    expect(await unzip(some.body as Buffer)).toEqual({ 'b.csv': 'a,b\n1,2' });
  });

  it('uploads new versions when asked', async () => {
    const zip = await zipOf({ 'a.R': 'x <- 2' });
    await george.upload('/r/repository/directory/upload', zip, { directory: 'zipped', newversion: true, newversionmsg: 'zip v2' });
    const versions = await george.call('/r/repository/file/list', { filename: 'a.R', directory: 'zipped' });
    expect((versions.repository as { files: { versionmsg: string | null }[] }).files.map((f) => f.versionmsg)).toEqual(['zip v2', null]);
  });

  it('stores nothing from a zip with a blocked or oversized entry, or a damaged zip', async () => {
    const before = await counts(server);
    const blocked = await george.upload('/r/repository/directory/upload', await zipOf({ 'ok.R': 'fine', 'evil.sh': 'rm -rf' }), { directory: 'zipped' });
    expect(blocked.body.deployr.response).toMatchObject({ success: false, errorCode: 900 });
    const big = await george.upload('/r/repository/directory/upload', await zipOf({ 'ok.R': 'fine', 'big.txt': Buffer.alloc(300 * 1024, 65) }), { directory: 'zipped' });
    expect(big.status).toBe(400);
    const damaged = await george.upload('/r/repository/directory/upload', Buffer.from('PK not really a zip'), { directory: 'zipped' });
    expect(damaged.status).toBe(400);
    expect(await counts(server)).toEqual(before);
  });

  it('refuses an upload into a directory that does not exist', async () => {
    const res = await george.upload('/r/repository/directory/upload', await zipOf({ 'a.R': 'x' }), { directory: 'missing' });
    expect(res.body.deployr.response).toMatchObject({ success: false, errorCode: 900 });
  });
});

describe('delete', () => {
  it('deletes a custom directory with its files', async () => {
    const before = await counts(server);
    expect((await george.call('/r/repository/directory/delete', { directory: 'zipped' })).success).toBe(true);
    expect((await directories(george)).user.map((d) => d.directory)).not.toContain('zipped');
    const after = await counts(server);
    expect(before.files - after.files).toBe(2);
    expect(after.versions).toBeLessThan(before.versions);
  });

  it('empties root but keeps it', async () => {
    expect((await george.call('/r/repository/directory/delete', { directory: 'root' })).success).toBe(true);
    const dirs = await directories(george, { userfiles: true });
    expect(dirs.user[0]).toEqual({ directory: 'root', files: [] });
  });

  it('leaves a co-authored file to its other authors', async () => {
    expect((await george.call('/r/repository/directory/delete', { directory: 'shared-work' })).success).toBe(true);
    const r = await susan.call('/r/repository/file/fetch', { filename: 'ours.R', directory: 'shared-work' });
    expect((r.repository as { file: { authors: string[] } }).file.authors).toEqual(['susan']);
  });

  it('answers 900 for a directory that does not exist', async () => {
    expect(await george.call('/r/repository/directory/delete', { directory: 'never' })).toMatchObject({ success: false, errorCode: 900 });
  });
});
