/** Calling the repository API as a signed-in user (or anonymously) in tests. */
import request from 'supertest';
import { loginAgent, responseOf, type TestServer } from '../helpers/app';

export type Fields = Record<string, string | number | boolean | undefined>;
export type Response = ReturnType<typeof responseOf>;

export interface Caller {
  /** POSTs form fields with the CSRF token; answers the envelope's response. */
  call(path: string, fields?: Fields): Promise<Response>;
  /** The raw supertest response (downloads, HTTP statuses). */
  raw(path: string, fields?: Fields): Promise<request.Response>;
  /** A multipart upload: the `file` part plus fields. */
  upload(path: string, content: Buffer, fields?: Fields, partName?: string): Promise<request.Response>;
  username: string | undefined;
}

function clean(fields: Fields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = String(v);
  return out;
}

/** Collects a binary body (downloads) as a Buffer. */
export function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.on('end', () => cb(null, Buffer.concat(parts)));
}

function caller(server: TestServer, agent: request.Agent | undefined, token: string | undefined, username: string | undefined): Caller {
  const target = (): request.Agent | ReturnType<typeof request> => agent ?? request(server.app.app);
  const post = (path: string): request.Test => {
    const req = target().post(`/deployr${path}`);
    return token ? req.set('X-XSRF-TOKEN', token) : req;
  };
  return {
    username,
    async call(path, fields = {}) {
      return responseOf(await post(path).type('form').send(clean(fields)));
    },
    async raw(path, fields = {}) {
      return post(path).type('form').send(clean(fields)).buffer(true).parse(binary);
    },
    async upload(path, content, fields = {}, partName = 'file') {
      let req = post(path);
      for (const [k, v] of Object.entries(clean(fields))) req = req.field(k, v);
      return req.attach(partName, content, 'upload.bin');
    },
  };
}

export async function signIn(server: TestServer, username: string, password: string): Promise<Caller> {
  const { agent, token } = await loginAgent(server, username, password);
  return caller(server, agent, token, username);
}

export function anonymous(server: TestServer): Caller {
  return caller(server, undefined, undefined, undefined);
}

/** Rows in the repository tables, to prove a failed call left nothing behind. */
export async function counts(server: TestServer): Promise<{ files: number; versions: number; blobs: number; chunks: number }> {
  const db = server.database.db;
  const n = async (table: string): Promise<number> => Number(((await db(table).count<{ n: string }[]>('* as n'))[0] as { n: string }).n);
  return { files: await n('repo_files'), versions: await n('repo_versions'), blobs: await n('repo_blobs'), chunks: await n('repo_blob_chunks') };
}

/** The files of a list response, by filename. */
export function names(files: unknown): string[] {
  return (files as { filename: string }[]).map((f) => f.filename).sort();
}
