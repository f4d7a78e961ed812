/**
 * The access model through HTTP: what a second user and anonymous callers see of george's
 * files at each access level, that they can never change them, and collaboration by grant.
 */
import { startTestServer, type TestServer } from '../helpers/app';
import { anonymous, counts, names, signIn, type Caller } from './helpers';

let server: TestServer;
let george: Caller;
let susan: Caller; // BASIC_USER only
let mark: Caller; // holds POWER_USER

beforeAll(async () => {
  server = await startTestServer();
  const users = server.app.services.users;
  await users.create({ username: 'george', password: 'pw-george' });
  await users.create({ username: 'susan', password: 'pw-susan', roles: ['BASIC_USER'] });
  await users.create({ username: 'mark', password: 'pw-mark', roles: ['BASIC_USER', 'POWER_USER'] });
  george = await signIn(server, 'george', 'pw-george');
  susan = await signIn(server, 'susan', 'pw-susan');
  mark = await signIn(server, 'mark', 'pw-mark');
  const write = async (filename: string, extra: Record<string, string | boolean> = {}): Promise<void> => {
    const r = await george.call('/r/repository/file/write', { filename, text: `# ${filename}\n`, ...extra });
    expect(r.success).toBe(true);
  };
  await write('private.R');
  await write('restricted.R', { restricted: 'POWER_USER' });
  await write('shared.R', { shared: true });
  await write('public.R', { published: true });
  await write('public-data.csv', { published: true });
});
afterAll(() => server.close());

type Entry = { filename: string; access: string; author: string };

async function fileList(who: Caller, fields: Record<string, string | boolean> = {}): Promise<Entry[]> {
  const r = await who.call('/r/repository/file/list', fields);
  expect(r.success).toBe(true);
  return (r.repository as { files: Entry[] }).files;
}

describe('visibility by access level', () => {
  it('reports the access levels on the author side', async () => {
    const files = await fileList(george);
    expect(Object.fromEntries(files.map((f) => [f.filename, f.access]))).toEqual({
      'private.R': 'Private',
      'restricted.R': 'Restricted',
      'shared.R': 'Shared',
      'public.R': 'Public',
      'public-data.csv': 'Public',
    });
  });

  it('shows a user without the role shared and published files only', async () => {
    expect(await fileList(susan)).toEqual([]);
    expect(names(await fileList(susan, { shared: true }))).toEqual(['shared.R']);
    expect(names(await fileList(susan, { published: true }))).toEqual(['public-data.csv', 'public.R']);
    expect(names(await fileList(susan, { shared: true, published: true }))).toEqual(['public-data.csv', 'public.R', 'shared.R']);
  });

  it('shows restricted files to holders of one of the roles', async () => {
    expect(names(await fileList(mark, { shared: true }))).toEqual(['restricted.R', 'shared.R']);
  });

  it('lets a reader fetch and download what they may see, and nothing else', async () => {
    for (const filename of ['shared.R', 'public.R']) {
      const r = await susan.call('/r/repository/file/fetch', { filename, author: 'george' });
      expect(r.success).toBe(true);
      expect((r.repository as { file: Entry }).file.author).toBe('george');
      const down = await susan.raw('/r/repository/file/download', { filename, author: 'george', directory: 'root' });
      expect(down.body.toString()).toBe(`# ${filename}\n`);
    }
    for (const filename of ['private.R', 'restricted.R']) {
      expect(await susan.call('/r/repository/file/fetch', { filename, author: 'george' })).toMatchObject({ success: false, errorCode: 900 });
      const down = await susan.raw('/r/repository/file/download', { filename, author: 'george', directory: 'root' });
      expect(JSON.parse(down.body.toString()).deployr.response).toMatchObject({ success: false, errorCode: 900 });
    }
    expect((await mark.call('/r/repository/file/fetch', { filename: 'restricted.R', author: 'george' })).success).toBe(true);
  });

  it('fills the Restricted, Shared and Public system directories of directory/list', async () => {
    const r = await mark.call('/r/repository/directory/list', { shared: true, published: true });
    const dirs = r.repository as { directories: { user: { directory: string }[]; system: { directory: string; files: Entry[] }[] } };
    expect(dirs.directories.user.map((d) => d.directory)).toEqual(['root']);
    expect(dirs.directories.system.map((d) => [d.directory, names(d.files)])).toEqual([
      ['Restricted', ['restricted.R']],
      ['Shared', ['shared.R']],
      ['Public', ['public-data.csv', 'public.R']],
    ]);
    const plain = await mark.call('/r/repository/directory/list');
    const system = (plain.repository as { directories: { system: { files: unknown[] }[] } }).directories.system;
    expect(system.every((d) => d.files.length === 0)).toBe(true);
  });
});

describe('read-only for non-authors', () => {
  it('refuses every change to another user\'s file', async () => {
    const before = await counts(server);
    const attempts: [string, Record<string, string | boolean>][] = [
      ['/r/repository/file/update', { filename: 'shared.R', descr: 'hijack' }],
      ['/r/repository/file/write', { filename: 'shared.R', text: 'overwritten', directory: 'root' }],
      ['/r/repository/file/delete', { filename: 'shared.R', directory: 'root' }],
      ['/r/repository/file/grant', { filename: 'shared.R', newauthor: 'susan' }],
      ['/r/repository/file/move', { filename: 'shared.R', directory: 'root', destination: 'root' }],
      ['/r/repository/file/copy', { filename: 'public.R', directory: 'root', destination: 'root' }],
    ];
    for (const [path, fields] of attempts) {
      const r = await susan.call(path, fields);
      if (path === '/r/repository/file/write') {
        // A write by susan creates susan's own file; george's stays as it was.
        expect(r.success).toBe(true);
        expect((r.repository as { file: Entry }).file.author).toBe('susan');
        await susan.call('/r/repository/file/delete', { filename: 'shared.R', directory: 'root' });
      } else {
        expect(r).toMatchObject({ success: false, errorCode: 900 });
      }
    }
    const still = await george.call('/r/repository/file/fetch', { filename: 'shared.R' });
    expect((still.repository as { file: { descr: string | null; length: number } }).file).toMatchObject({ descr: null, length: '# shared.R\n'.length });
    expect(await counts(server)).toEqual(before);
  });

  it('cannot diff or list versions of a file it cannot see', async () => {
    const diff = await susan.call('/r/repository/file/diff', { filename: 'private.R', author: 'george', version: 'x' });
    expect(diff).toMatchObject({ success: false, errorCode: 900 });
  });
});

describe('anonymous callers', () => {
  it('fetch and download published files only', async () => {
    const anon = anonymous(server);
    const ok = await anon.call('/r/repository/file/fetch', { filename: 'public.R', author: 'george' });
    expect(ok.success).toBe(true);
    const down = await anon.raw('/r/repository/file/download', { filename: 'public.R', author: 'george' });
    expect(down.status).toBe(200);
    expect(down.body.toString()).toBe('# public.R\n');
    for (const filename of ['shared.R', 'restricted.R', 'private.R']) {
      expect(await anon.call('/r/repository/file/fetch', { filename, author: 'george' })).toMatchObject({ success: false, errorCode: 900 });
    }
  });

  it('list published scripts only with script/list', async () => {
    const r = await anonymous(server).call('/r/repository/script/list');
    expect(r.success).toBe(true);
    expect(names((r.repository as { scripts: unknown }).scripts)).toEqual(['public.R']);
  });

  it('may not call the authenticated list calls or change anything', async () => {
    const anon = anonymous(server);
    expect((await anon.raw('/r/repository/file/list')).status).toBe(401);
    expect((await anon.raw('/r/repository/directory/list')).status).toBe(401);
    expect((await anon.raw('/r/repository/file/delete', { filename: 'public.R' })).status).toBe(401);
  });

  it('reach a download URL from a listing with the ;jsessionid= path parameter', async () => {
    const r = await george.call('/r/repository/file/fetch', { filename: 'private.R' });
    const url = new URL((r.repository as { file: { url: string } }).file.url);
    const login = await anonymous(server).raw('/r/user/login', { username: 'george', password: 'pw-george' });
    const cookie = String(login.headers['set-cookie']).match(/JSESSIONID=([^;]+)/)![1]!;
    // The Java client appends ;jsessionid= to the whole URL and sends no cookie.
    const { default: request } = await import('supertest');
    const res = await request(server.app.app).get(`${url.pathname}${url.search};jsessionid=${cookie}`).buffer(true);
    expect(res.status).toBe(200);
    expect(res.text).toBe('# private.R\n');
    const without = await request(server.app.app).get(`${url.pathname}${url.search}`);
    expect(without.body.deployr.response).toMatchObject({ success: false, errorCode: 900 });
  });
});

describe('script/list for an authenticated caller', () => {
  it('lists own scripts, and others\' with shared/published', async () => {
    let r = await george.call('/r/repository/script/list');
    expect(names((r.repository as { scripts: unknown }).scripts)).toEqual(['private.R', 'public.R', 'restricted.R', 'shared.R']);
    r = await susan.call('/r/repository/script/list', { shared: true, published: true });
    expect(names((r.repository as { scripts: unknown }).scripts)).toEqual(['public.R', 'shared.R']);
  });
});

describe('/r/repository/file/grant', () => {
  it('makes a co-author who can modify, and revoking all authors deletes the file', async () => {
    await george.call('/r/repository/file/write', { filename: 'team.R', text: 'v1' });
    let r = await george.call('/r/repository/file/grant', { filename: 'team.R', newauthor: 'susan' });
    expect((r.repository as { file: { authors: string[] } }).file.authors).toEqual(['george', 'susan']);

    // susan now modifies it, sees it as her own (author: susan) and in her root
    r = await susan.call('/r/repository/file/write', { filename: 'team.R', text: 'v2 by susan' });
    expect((r.repository as { file: unknown }).file).toMatchObject({ author: 'susan', authors: ['george', 'susan'], latestby: 'susan' });
    const g = await george.call('/r/repository/file/fetch', { filename: 'team.R' });
    expect((g.repository as { file: unknown }).file).toMatchObject({ author: 'george', latestby: 'susan', length: 11 });

    // susan deletes: only her authorship goes
    expect((await susan.call('/r/repository/file/delete', { filename: 'team.R', directory: 'root' })).success).toBe(true);
    const after = await george.call('/r/repository/file/fetch', { filename: 'team.R' });
    expect((after.repository as { file: { authors: string[] } }).file.authors).toEqual(['george']);

    // revoking your own authorship as the last author deletes the file
    const before = await counts(server);
    r = await george.call('/r/repository/file/grant', { filename: 'team.R', revokeauthor: 'george' });
    expect(r.success).toBe(true);
    expect(await george.call('/r/repository/file/fetch', { filename: 'team.R' })).toMatchObject({ success: false });
    expect((await counts(server)).files).toBe(before.files - 1);
  });

  it('refuses unknown users and a grantee who has a file of that name already', async () => {
    await george.call('/r/repository/file/write', { filename: 'clash.R', text: 'g' });
    await susan.call('/r/repository/file/write', { filename: 'clash.R', text: 's' });
    const clash = await george.call('/r/repository/file/grant', { filename: 'clash.R', newauthor: 'susan' });
    expect(clash).toMatchObject({ success: false, errorCode: 900 });
    expect(clash.error).toContain('already has a file');
    const unknown = await george.call('/r/repository/file/grant', { filename: 'clash.R', newauthor: 'nobody' });
    expect(unknown).toMatchObject({ success: false, errorCode: 900 });
    expect(unknown.error).toContain('nobody');
  });
});
