/**
 * The repository service: versioned files and directories per user with DeployR's access
 * model, stored in PostgreSQL, plus the read-only external repository on disk.
 *
 * For the other services (projects, jobs):
 * - load: `files.resolve(viewer, { filename, author, directory, version })` checks existence and
 *   access (default and external repository alike), then `files.open(entry)` streams the content;
 * - preloadbydirectory: `files.list(user, { directory })`;
 * - preloadfile* and stores: `files.checkType(actor, filename)` applies the blocked-type policy,
 *   `files.store(actor, { filename, directory, newversion, ... }, () => stream)` stores.
 */
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { BlobStore } from './blobs';
import { RepositoryDirectories } from './directories';
import { ExternalRepository } from './external';
import { RepositoryFiles, type RepositoryLimits } from './files';
import { DEFAULT_TRANSFER_LIMITS } from './transfer';
import type { ZipLimits } from './zip';

export type { RepoEntry } from './entry';
export type { FileRef, StoreInput } from './files';

export interface RepositoryOptions {
  limits: RepositoryLimits;
  zip: ZipLimits;
  externalDir: string;
}

export class RepositoryService {
  readonly blobs: BlobStore;
  readonly external: ExternalRepository;
  readonly files: RepositoryFiles;
  readonly directories: RepositoryDirectories;

  constructor(db: Db, opts: RepositoryOptions) {
    this.blobs = new BlobStore(db);
    this.external = new ExternalRepository(opts.externalDir);
    this.files = new RepositoryFiles(db, this.blobs, this.external, opts.limits);
    this.directories = new RepositoryDirectories(db, this.files, opts.zip);
  }
}

export function createRepositoryService(config: Config, db: Db): RepositoryService {
  const maxFileUploadSize = config.limits.maxFileUploadSize;
  return new RepositoryService(db, {
    limits: { maxFileUploadSize, transfer: { ...DEFAULT_TRANSFER_LIMITS, denyPrivate: config.transferDenyPrivate }, maxDiffBytes: 16 * 1024 * 1024 },
    // A zip may hold more than it weighs; four times the upload limit bounds a zip bomb.
    zip: { maxEntryBytes: maxFileUploadSize, maxTotalBytes: 4 * maxFileUploadSize, maxEntries: 10_000 },
    externalDir: config.externalRepositoryDir,
  });
}
