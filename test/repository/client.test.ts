/** The repository through the official `deployr` npm client, as applications use it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/app';
import { loadClient, run, type DeployRResponse } from '../helpers/deployr-client';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  await server.app.services.users.create({ username: 'george', password: 's3cret' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-client-'));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('uploads, writes, lists, fetches, versions and deletes files through the official client', async () => {
  const deployr = loadClient(server.origin);
  await run(deployr.io('/r/user/login').data({ username: 'george', password: 's3cret' }));

  // Upload: multipart, the part named `file`, the stored name from the `filename` field.
  const csv = path.join(dir, 'satscores.csv');
  fs.writeFileSync(csv, 'state,score\nMA,1100\n');
  const up = await run(deployr.io('/r/repository/file/upload').data({ descr: 'Sample file upload.' }).attach(csv, 'nodejs-satscores.csv'));
  expect(up.get('filename')).toBe('nodejs-satscores.csv');
  expect(up.get('descr')).toBe('Sample file upload.');
  expect(up.get('category')).toBe('data');
  expect(up.get('length')).toBe(fs.statSync(csv).size);

  // Write, as the client's tutorial does, and read the url back by its name.
  const written = await run(deployr.io('/r/repository/file/write').data({ filename: 'hello.txt', shared: true, text: 'Hello World!' }));
  expect(written.get('url')).toMatch(/\/deployr\/r\/repository\/file\/download\?filename=hello\.txt&directory=root&author=george$/);
  expect(written.get('access')).toBe('Shared');

  const list = await run(deployr.io('/r/repository/file/list'));
  const files = list.get('files') as { filename: string; access: string }[];
  expect(files.map((f) => f.filename).sort()).toEqual(['hello.txt', 'nodejs-satscores.csv']);

  // A new version, then the version list and the latest metadata.
  await run(deployr.io('/r/repository/file/write').data({ filename: 'hello.txt', text: 'Hello again!', newversion: true, newversionmsg: 'v2' }));
  const versions = await run(deployr.io('/r/repository/file/list').data({ filename: 'hello.txt' }));
  expect((versions.get('files') as unknown[]).length).toBe(2);
  const fetched = await run(deployr.io('/r/repository/file/fetch').data({ filename: 'hello.txt', author: 'george' }));
  expect(fetched.get('versionmsg')).toBe('v2');

  // Directories and a zip upload into one.
  await run(deployr.io('/r/repository/directory/create').data({ directory: 'uploads' }));
  const dirs = await run(deployr.io('/r/repository/directory/list').data({ userfiles: true }));
  expect((dirs.get('user') as { directory: string }[]).map((d) => d.directory)).toEqual(['root', 'uploads']);
  expect(dirs.get('custom')).toEqual(['root', 'uploads']);

  const scripts = await run(deployr.io('/r/repository/script/list'));
  // (the client's get() answers null for an empty list)
  expect(scripts.deployr.response.repository).toEqual({ scripts: [] });

  // Errors reach the client's error path with DeployR's codes.
  const err = (await run(deployr.io('/r/repository/file/fetch').data({ filename: 'ghost.R', author: 'george' })).catch((e: DeployRResponse) => e)) as DeployRResponse;
  expect(err.deployr.response).toMatchObject({ success: false, errorCode: 900 });

  await run(deployr.io('/r/repository/file/delete').data({ filename: 'hello.txt,nodejs-satscores.csv', directory: 'root' }));
  const empty = await run(deployr.io('/r/repository/file/list'));
  expect(empty.deployr.response.repository).toEqual({ files: [] });
});

it('lets an anonymous client list published scripts', async () => {
  const author = loadClient(server.origin);
  await run(author.io('/r/user/login').data({ username: 'george', password: 's3cret' }));
  await run(author.io('/r/repository/file/write').data({ filename: 'Hello World.R', text: 'cat("hi")', published: true }));
  const anon = loadClient(server.origin);
  const r = await run(anon.io('/r/repository/script/list'));
  expect((r.get('scripts') as { filename: string; author: string }[]).map((s) => `${s.author}/${s.filename}`)).toEqual(['george/Hello World.R']);
});
