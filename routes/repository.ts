/**
 * /r/repository/directory/*, /r/repository/file/* and /r/repository/script/list: the
 * repository's calls, delegating to services.repository.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { defineCall, requireUser, type DownloadResult } from '../server/rpc/call';
import type { JsonValue, ResponsePayload } from '../server/rpc/envelope';
import { DeployRError } from '../server/rpc/errors';
import type { ParamSchema, ParamValues } from '../server/rpc/params';
import { present, type RepoEntry } from '../server/services/repository/entry';
import type { DirectoryList, DirectoryResult } from '../server/services/repository/directories';
import type { StoreInput } from '../server/services/repository/files';
import { parseCategory } from '../server/services/repository/names';

// --- parameter groups -------------------------------------------------------------------

const ACCESS = {
  restricted: { type: 'string' },
  shared: { type: 'boolean' },
  published: { type: 'boolean' },
} as const satisfies ParamSchema;

/** What a write may set besides content (the reference spells `descr` as `desrc` in places). */
const PROPERTIES = {
  ...ACCESS,
  descr: { type: 'string', aliases: ['desrc'] },
  tags: { type: 'string' },
  inputs: { type: 'string' },
  outputs: { type: 'string' },
} as const satisfies ParamSchema;

const NEW_VERSION = {
  newversion: { type: 'boolean' },
  newversionmsg: { type: 'string' },
} as const satisfies ParamSchema;

const LISTING = {
  directory: { type: 'string' },
  archived: { type: 'boolean' },
  shared: { type: 'boolean' },
  published: { type: 'boolean' },
  categoryFilter: { type: 'string' },
  external: { type: 'boolean' },
} as const satisfies ParamSchema;

// --- helpers -----------------------------------------------------------------------------

/** The i-th value of a comma-separated list; a single value applies to every position. */
function nth(list: readonly string[] | undefined, i: number): string | undefined {
  if (!list || list.length === 0) return undefined;
  return list.length === 1 ? list[0] : list[i];
}

function files(entries: readonly RepoEntry[], baseUrl: string): JsonValue[] {
  return entries.map((e) => present(e, baseUrl));
}

function fileResponse(entry: RepoEntry, baseUrl: string): ResponsePayload {
  return { repository: { file: present(entry, baseUrl) } };
}

/** Warnings (files left behind) appear only when there are some. */
function withWarnings(payload: ResponsePayload, warnings: readonly string[]): ResponsePayload {
  return warnings.length > 0 ? { ...payload, warnings: [...warnings] } : payload;
}

function directoryResponse(result: DirectoryResult): ResponsePayload {
  return withWarnings({ repository: { directory: { directory: result.directory, owner: result.owner } } }, result.warnings);
}

function directoryListResponse(list: DirectoryList, baseUrl: string): ResponsePayload {
  const listing = (dirs: DirectoryList['user']): JsonValue[] => dirs.map((d) => ({ directory: d.directory, files: files(d.files, baseUrl) }));
  return {
    repository: {
      directories: {
        user: listing(list.user),
        system: listing(list.system),
        metadata: { custom: [...list.metadata.custom], archived: [...list.metadata.archived] },
      },
    },
  };
}

function zipDownload(name: string, body: Readable): DownloadResult {
  return { kind: 'download', contentType: 'application/zip', filename: name, body };
}

// --- the calls -----------------------------------------------------------------------------

const directoryCalls = [
  defineCall({
    path: '/r/repository/directory/list',
    access: 'authenticated',
    csrf: 'post',
    params: { ...LISTING, userfiles: { type: 'boolean' } },
    async handler(ctx) {
      const { params: p } = ctx;
      const list = await ctx.services.repository.directories.list(requireUser(ctx.user), {
        archived: p.archived,
        userfiles: p.userfiles,
        directory: p.directory,
        shared: p.shared,
        published: p.published,
        category: parseCategory(p.categoryFilter),
        external: p.external,
      });
      return directoryListResponse(list, ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/directory/create',
    access: 'authenticated',
    csrf: 'required',
    params: { directory: { type: 'string', required: true } },
    async handler(ctx) {
      return directoryResponse(await ctx.services.repository.directories.create(requireUser(ctx.user), ctx.params.directory));
    },
  }),

  defineCall({
    path: '/r/repository/directory/rename',
    access: 'authenticated',
    csrf: 'required',
    params: { directory: { type: 'string', required: true }, destination: { type: 'string', required: true } },
    async handler(ctx) {
      return directoryResponse(await ctx.services.repository.directories.rename(requireUser(ctx.user), ctx.params.directory, ctx.params.destination));
    },
  }),

  defineCall({
    path: '/r/repository/directory/copy',
    access: 'authenticated',
    csrf: 'required',
    params: {
      directory: { type: 'string', required: true },
      destination: { type: 'string', required: true },
      filename: { type: 'list' },
      filerename: { type: 'list' },
    },
    async handler(ctx) {
      const p = ctx.params;
      await ctx.services.repository.directories.copy(requireUser(ctx.user), p.directory, p.destination, p.filename, p.filerename);
    },
  }),

  defineCall({
    path: '/r/repository/directory/move',
    access: 'authenticated',
    csrf: 'required',
    params: { directory: { type: 'string', required: true }, destination: { type: 'string', required: true }, filename: { type: 'list' } },
    async handler(ctx) {
      const p = ctx.params;
      return withWarnings({}, await ctx.services.repository.directories.move(requireUser(ctx.user), p.directory, p.destination, p.filename));
    },
  }),

  defineCall({
    path: '/r/repository/directory/update',
    access: 'authenticated',
    csrf: 'required',
    params: { directory: { type: 'string', required: true }, filename: { type: 'list' }, ...ACCESS },
    async handler(ctx) {
      const p = ctx.params;
      await ctx.services.repository.directories.update(requireUser(ctx.user), p.directory, { restricted: p.restricted, shared: p.shared, published: p.published }, p.filename);
    },
  }),

  defineCall({
    path: '/r/repository/directory/archive',
    access: 'authenticated',
    csrf: 'required',
    params: { directory: { type: 'string', required: true }, archive: { type: 'string' }, filename: { type: 'list' } },
    async handler(ctx) {
      const p = ctx.params;
      return directoryResponse(await ctx.services.repository.directories.archive(requireUser(ctx.user), p.directory, p.archive, p.filename));
    },
  }),

  defineCall({
    path: '/r/repository/directory/upload',
    access: 'authenticated',
    csrf: 'required',
    upload: true,
    params: { file: { type: 'file', required: true }, directory: { type: 'string' }, ...PROPERTIES, ...NEW_VERSION },
    async handler(ctx) {
      const { file, directory, ...props } = ctx.params;
      await ctx.services.repository.directories.upload(requireUser(ctx.user), file.path, directory, props);
    },
  }),

  defineCall({
    path: '/r/repository/directory/download',
    access: 'authenticated',
    csrf: 'post',
    params: { directory: { type: 'string', required: true }, filename: { type: 'list' } },
    async handler(ctx) {
      const zip = await ctx.services.repository.directories.download(requireUser(ctx.user), ctx.params.directory, ctx.params.filename);
      return zipDownload(zip.name, zip.body);
    },
  }),

  defineCall({
    path: '/r/repository/directory/delete',
    access: 'authenticated',
    csrf: 'required',
    params: { directory: { type: 'string', required: true } },
    async handler(ctx) {
      await ctx.services.repository.directories.delete(requireUser(ctx.user), ctx.params.directory);
    },
  }),
];

/** What upload, transfer and write store, besides the content itself. */
function storeInput(p: ParamValues<typeof PROPERTIES & typeof NEW_VERSION> & { directory?: string }, filename: string): StoreInput {
  return {
    filename,
    directory: p.directory,
    descr: p.descr,
    tags: p.tags,
    inputs: p.inputs,
    outputs: p.outputs,
    restricted: p.restricted,
    shared: p.shared,
    published: p.published,
    newversion: p.newversion,
    newversionmsg: p.newversionmsg,
  };
}

function requiredFilename(name: string | undefined): string {
  if (!name) throw new DeployRError(400, "Bad Request: required parameter 'filename' is missing");
  return name;
}

const fileCalls = [
  defineCall({
    path: '/r/repository/file/list',
    access: 'authenticated',
    csrf: 'post',
    params: { ...LISTING, filename: { type: 'string' } },
    async handler(ctx) {
      const p = ctx.params;
      const repo = ctx.services.repository.files;
      const user = requireUser(ctx.user);
      const entries =
        p.filename && !p.external
          ? await repo.versions(user, p.filename, p.directory)
          : await repo.list(user, {
              directory: p.directory,
              archived: p.archived,
              shared: p.shared,
              published: p.published,
              category: parseCategory(p.categoryFilter),
              external: p.external,
            });
      return { repository: { files: files(entries, ctx.baseUrl) } };
    },
  }),

  defineCall({
    path: '/r/repository/file/fetch',
    access: 'anonymous',
    csrf: 'post',
    params: { filename: { type: 'string', required: true }, author: { type: 'string' }, directory: { type: 'string' }, version: { type: 'string' } },
    async handler(ctx) {
      return fileResponse(await ctx.services.repository.files.resolve(ctx.user, ctx.params), ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/upload',
    access: 'authenticated',
    csrf: 'required',
    upload: true,
    params: { file: { type: 'file', required: true }, filename: { type: 'string' }, directory: { type: 'string' }, ...PROPERTIES, ...NEW_VERSION },
    async handler(ctx) {
      const { file } = ctx.params;
      // The stored name comes from the `filename` field; the part's own name is a fallback.
      const input = storeInput(ctx.params, requiredFilename(ctx.params.filename ?? file.originalName));
      const entry = await ctx.services.repository.files.store(requireUser(ctx.user), input, () => fs.createReadStream(file.path));
      return fileResponse(entry, ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/transfer',
    access: 'authenticated',
    csrf: 'required',
    params: { url: { type: 'string', required: true }, filename: { type: 'string' }, directory: { type: 'string' }, ...PROPERTIES, ...NEW_VERSION },
    async handler(ctx) {
      const input = storeInput(ctx.params, requiredFilename(ctx.params.filename));
      return fileResponse(await ctx.services.repository.files.transfer(requireUser(ctx.user), input, ctx.params.url, ctx.aborted), ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/write',
    access: 'authenticated',
    csrf: 'required',
    params: { text: { type: 'string', required: true }, filename: { type: 'string' }, directory: { type: 'string' }, ...PROPERTIES, ...NEW_VERSION },
    async handler(ctx) {
      const input = storeInput(ctx.params, requiredFilename(ctx.params.filename));
      const text = Buffer.from(ctx.params.text, 'utf8');
      return fileResponse(await ctx.services.repository.files.store(requireUser(ctx.user), input, () => Readable.from([text])), ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/update',
    access: 'authenticated',
    csrf: 'required',
    params: { filename: { type: 'string', required: true }, directory: { type: 'string' }, ...PROPERTIES },
    async handler(ctx) {
      const { filename, directory, ...props } = ctx.params;
      return fileResponse(await ctx.services.repository.files.update(requireUser(ctx.user), { filename, directory }, props), ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/diff',
    access: 'authenticated',
    csrf: 'post',
    params: { filename: { type: 'string', required: true }, version: { type: 'string', required: true }, author: { type: 'string' }, directory: { type: 'string' } },
    async handler(ctx): Promise<DownloadResult> {
      const diff = await ctx.services.repository.files.diff(requireUser(ctx.user), ctx.params);
      return { kind: 'download', contentType: 'text/plain; charset=utf-8', inline: true, body: Buffer.from(diff, 'utf8') };
    },
  }),

  defineCall({
    path: '/r/repository/file/revert',
    access: 'authenticated',
    csrf: 'required',
    params: { filename: { type: 'string', required: true }, version: { type: 'string', required: true }, directory: { type: 'string' }, ...PROPERTIES, ...NEW_VERSION },
    async handler(ctx) {
      return fileResponse(await ctx.services.repository.files.revert(requireUser(ctx.user), ctx.params), ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/grant',
    access: 'authenticated',
    csrf: 'required',
    params: { filename: { type: 'string', required: true }, directory: { type: 'string' }, newauthor: { type: 'list' }, revokeauthor: { type: 'list' } },
    async handler(ctx) {
      const p = ctx.params;
      const entry = await ctx.services.repository.files.grant(requireUser(ctx.user), p, p.newauthor ?? [], p.revokeauthor ?? []);
      return fileResponse(entry, ctx.baseUrl);
    },
  }),

  defineCall({
    path: '/r/repository/file/download',
    access: 'anonymous',
    csrf: 'post',
    params: { filename: { type: 'list', required: true }, author: { type: 'list' }, directory: { type: 'list' }, version: { type: 'list' } },
    async handler(ctx): Promise<DownloadResult> {
      const p = ctx.params;
      const repo = ctx.services.repository;
      const entries: RepoEntry[] = [];
      for (const [i, filename] of p.filename.entries()) {
        entries.push(await repo.files.resolve(ctx.user, { filename, author: nth(p.author, i), directory: nth(p.directory, i), version: nth(p.version, i) }));
      }
      if (entries.length === 1) {
        const e = entries[0]!;
        return { kind: 'download', contentType: e.type, filename: e.filename, length: e.length, body: repo.files.open(e) };
      }
      return zipDownload('download.zip', repo.directories.zipOf(entries));
    },
  }),

  defineCall({
    path: '/r/repository/file/delete',
    access: 'authenticated',
    csrf: 'required',
    params: { filename: { type: 'list', required: true }, directory: { type: 'list' } },
    async handler(ctx) {
      const p = ctx.params;
      await ctx.services.repository.files.delete(
        requireUser(ctx.user),
        p.filename.map((filename, i) => ({ filename, directory: nth(p.directory, i) })),
      );
    },
  }),

  defineCall({
    path: '/r/repository/file/copy',
    access: 'authenticated',
    csrf: 'required',
    params: {
      filename: { type: 'list', required: true },
      directory: { type: 'list' },
      destination: { type: 'string', required: true },
      version: { type: 'list' },
      filerename: { type: 'list' },
    },
    async handler(ctx) {
      const p = ctx.params;
      const items = p.filename.map((filename, i) => ({ filename, directory: nth(p.directory, i), version: nth(p.version, i), rename: p.filerename?.[i] }));
      await ctx.services.repository.files.copy(requireUser(ctx.user), items, p.destination);
    },
  }),

  defineCall({
    path: '/r/repository/file/move',
    access: 'authenticated',
    csrf: 'required',
    params: { filename: { type: 'list', required: true }, directory: { type: 'list' }, destination: { type: 'string', required: true }, version: { type: 'list' } },
    async handler(ctx) {
      const p = ctx.params;
      const items = p.filename.map((filename, i) => ({ filename, directory: nth(p.directory, i) }));
      return withWarnings({}, await ctx.services.repository.files.move(requireUser(ctx.user), items, p.destination));
    },
  }),
];

const scriptCalls = [
  defineCall({
    path: '/r/repository/script/list',
    access: 'anonymous',
    csrf: 'post',
    params: { ...LISTING, filename: { type: 'string' } },
    async handler(ctx) {
      const p = ctx.params;
      const scripts = await ctx.services.repository.files.listScripts(ctx.user, {
        filename: p.filename,
        directory: p.directory,
        archived: p.archived,
        shared: p.shared,
        published: p.published,
        external: p.external,
      });
      return { repository: { scripts: files(scripts, ctx.baseUrl) } };
    },
  }),
];

export const repositoryCalls = [...directoryCalls, ...fileCalls, ...scriptCalls];
