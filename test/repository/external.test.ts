/** The external repository: a read-only tree on disk with private, shared and public areas. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/app';
import { anonymous, names, signIn, type Caller } from './helpers';

let server: TestServer;
let george: Caller;
let susan: Caller;
let base: string;

const TREE: Record<string, string> = {
  'george/plot.R': 'plot(1)',
  'george/demo/score.R': 'score <- 1',
  'george/demo/model.rData': 'RDX2',
  'george/demo/sub/deep.R': 'deep <- TRUE',
  'shared/george/s.R': 'shared by george',
  'public/george/p.R': 'public by george',
  'public/george/plot/hist.R': 'hist(1)',
  'susan/secret.R': 'susan only',
  'shared/susan/ss.R': 'shared by susan',
  'public/susan/ps.R': 'public by susan',
};

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-external-'));
  for (const [file, content] of Object.entries(TREE)) {
    fs.mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
    fs.writeFileSync(path.join(base, file), content);
  }
  // A link out of the tree must never be followed.
  fs.symlinkSync('/etc', path.join(base, 'george', 'escape'));
  fs.symlinkSync('/etc/hostname', path.join(base, 'george', 'hostname.txt'));
  server = await startTestServer({ DEPLOYR_EXTERNAL_REPOSITORY: base });
  await server.app.services.users.create({ username: 'george', password: 'pw-george' });
  await server.app.services.users.create({ username: 'susan', password: 'pw-susan' });
  george = await signIn(server, 'george', 'pw-george');
  susan = await signIn(server, 'susan', 'pw-susan');
});
afterAll(async () => {
  await server.close();
  fs.rmSync(base, { recursive: true, force: true });
});

type Entry = { filename: string; directory: string; author: string; authors: string[]; access: string; url: string; version: null };

async function externalFiles(who: Caller, fields: Record<string, string | boolean> = {}): Promise<Entry[]> {
  const r = await who.call('/r/repository/file/list', { external: true, ...fields });
  expect(r.success).toBe(true);
  return (r.repository as { files: Entry[] }).files;
}

describe('file/list external=true', () => {
  it("lists the caller's own external files with external: directory names", async () => {
    const files = await externalFiles(george);
    expect(files.map((f) => `${f.directory} ${f.filename} ${f.access}`).sort()).toEqual([
      'external:public:george p.R Public',
      'external:public:george:plot hist.R Public',
      'external:root plot.R Private',
      'external:root:demo model.rData Private',
      'external:root:demo score.R Private',
      'external:root:demo/sub deep.R Private',
      'external:shared:george s.R Shared',
    ]);
    expect(files.every((f) => f.author === 'george' && f.authors.join() === 'george' && f.version === null)).toBe(true);
  });

  it("adds other users' shared and published files when asked, never their private ones", async () => {
    const files = await externalFiles(george, { shared: true, published: true });
    const others = files.filter((f) => f.author !== 'george');
    expect(others.map((f) => `${f.directory} ${f.filename}`).sort()).toEqual(['external:public:susan ps.R', 'external:shared:susan ss.R']);
  });

  it('filters by directory and category', async () => {
    expect(names(await externalFiles(george, { directory: 'external:root:demo' }))).toEqual(['model.rData', 'score.R']);
    expect(names(await externalFiles(george, { directory: 'external:root:demo', categoryFilter: 'script' }))).toEqual(['score.R']);
    expect(names(await externalFiles(george, { directory: 'external:public:george:plot', categoryFilter: 'script' }))).toEqual(['hist.R']);
    expect(names(await externalFiles(susan, { directory: 'external:shared:george' }))).toEqual(['s.R']);
  });

  it('takes an external: directory as the external repository without external=true', async () => {
    const r = await george.call('/r/repository/file/list', { directory: 'external:root:demo', categoryFilter: 'script' });
    expect(names((r.repository as { files: unknown }).files)).toEqual(['score.R']);
  });

  it('answers 900 for a directory that does not exist', async () => {
    const r = await george.call('/r/repository/file/list', { external: true, directory: 'external:public:dir-not-found' });
    expect(r).toMatchObject({ success: false, errorCode: 900 });
  });

  it('never follows links out of the tree', async () => {
    const files = await externalFiles(george);
    expect(files.map((f) => f.filename)).not.toContain('hostname.txt');
    const r = await george.call('/r/repository/file/list', { external: true, directory: 'external:root:escape' });
    expect(r).toMatchObject({ success: false, errorCode: 900 });
    expect(await george.call('/r/repository/file/fetch', { filename: 'hostname.txt', directory: 'external:root' })).toMatchObject({ success: false });
  });

  it.each([['external:root:../susan'], ['external:shared:..'], ['external:public:george:../../susan'], ['external:root:a\\b'], ['external:bogus:x']])(
    'refuses the directory %j with 400',
    async (directory) => {
      const res = await george.raw('/r/repository/file/list', { external: true, directory });
      expect(res.status).toBe(400);
    },
  );
});

describe('directory/list external=true', () => {
  it("shows the caller's areas as user directories and others' as system directories", async () => {
    const r = await george.call('/r/repository/directory/list', { external: true, shared: true, published: true });
    const dirs = (r.repository as { directories: { user: { directory: string; files: Entry[] }[]; system: { directory: string; files: Entry[] }[] } }).directories;
    expect(dirs.user.map((d) => d.directory)).toEqual([
      'external:root',
      'external:root:demo',
      'external:root:demo/sub',
      'external:shared:george',
      'external:public:george',
      'external:public:george:plot',
    ]);
    expect(dirs.user.every((d) => d.files.length === 0)).toBe(true);
    expect(dirs.system.map((d) => [d.directory, names(d.files)])).toEqual([
      ['Restricted', []],
      ['Shared', ['ss.R']],
      ['Public', ['ps.R']],
    ]);
    const withFiles = await george.call('/r/repository/directory/list', { external: true, userfiles: true });
    const user = (withFiles.repository as { directories: { user: { directory: string; files: Entry[] }[] } }).directories.user;
    expect(names(user.find((d) => d.directory === 'external:root:demo')!.files)).toEqual(['model.rData', 'score.R']);
  });
});

describe('reading external files', () => {
  it('fetches and downloads with the file\'s url', async () => {
    const r = await george.call('/r/repository/file/fetch', { filename: 'score.R', directory: 'external:root:demo' });
    const file = (r.repository as { file: Entry }).file;
    expect(file).toMatchObject({ filename: 'score.R', directory: 'external:root:demo', author: 'george', length: TREE['george/demo/score.R']!.length });
    const url = new URL(file.url);
    const down = await george.raw('/r/repository/file/download', Object.fromEntries(url.searchParams));
    expect(down.body.toString()).toBe('score <- 1');
  });

  it('lets others read shared files, anonymous callers public ones, and nobody the private ones', async () => {
    const shared = await susan.raw('/r/repository/file/download', { filename: 's.R', directory: 'external:shared:george', author: 'george' });
    expect(shared.body.toString()).toBe('shared by george');
    const anon = anonymous(server);
    const pub = await anon.raw('/r/repository/file/download', { filename: 'p.R', directory: 'external:public:george', author: 'george' });
    expect(pub.body.toString()).toBe('public by george');
    expect(await anon.call('/r/repository/file/fetch', { filename: 's.R', directory: 'external:shared:george', author: 'george' })).toMatchObject({ success: false });
    // external:root is always the caller's own private area
    expect(await susan.call('/r/repository/file/fetch', { filename: 'plot.R', directory: 'external:root', author: 'george' })).toMatchObject({ success: false });
    expect(await susan.call('/r/repository/file/fetch', { filename: 'secret.R', directory: 'external:root' })).toMatchObject({ success: true });
  });

  it('lists external scripts with script/list', async () => {
    const r = await susan.call('/r/repository/script/list', { external: true, published: true });
    const scripts = (r.repository as { scripts: Entry[] }).scripts;
    expect(scripts.map((s) => `${s.directory} ${s.filename}`).sort()).toEqual([
      'external:public:george p.R',
      'external:public:george:plot hist.R',
      'external:public:susan ps.R',
      'external:root secret.R',
      'external:shared:susan ss.R',
    ]);
  });

  it('is read-only', async () => {
    expect(await george.call('/r/repository/file/delete', { filename: 'plot.R', directory: 'external:root' })).toMatchObject({ success: false, errorCode: 900 });
    expect(await george.call('/r/repository/directory/delete', { directory: 'external:root' })).toMatchObject({ success: false, errorCode: 900 });
    expect(fs.existsSync(path.join(base, 'george', 'plot.R'))).toBe(true);
  });
});
