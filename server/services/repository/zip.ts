/**
 * Zip archives in and out, entry by entry: nothing holds a whole archive in memory.
 */
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { DeployRError } from '../../rpc/errors';
import { extensionOf } from './names';

export interface ZipSource {
  name: string;
  mtime: Date;
  size: number;
  open(): Readable;
}

// Already compressed: deflating them again costs time and saves nothing.
const STORED_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'pdf', 'zip', 'gz', 'rdata', 'rda', 'rds', 'xlsx']);

/** Entry names unique within the archive: a second `a.R` becomes `a (2).R`. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    const ext = path.extname(name);
    const stem = ext ? name.slice(0, -ext.length) : name;
    for (let i = 2; seen.has(candidate); i++) candidate = `${stem} (${i})${ext}`;
    seen.add(candidate);
    return candidate;
  });
}

/** A zip of the sources, each opened only when the archive reaches it. */
export function zipStream(sources: readonly ZipSource[]): Readable {
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  zip.on('error', (err: Error) => out.destroy(err));
  const names = uniqueNames(sources.map((s) => s.name));
  sources.forEach((source, i) => {
    const compress = !STORED_EXTENSIONS.has(extensionOf(source.name));
    zip.addReadStreamLazy(names[i]!, { mtime: source.mtime, size: source.size, compress }, (cb) => {
      const stream = source.open();
      stream.on('error', (err) => out.destroy(err));
      cb(null, stream);
    });
  });
  zip.end();
  (zip.outputStream as Readable).on('error', (err) => out.destroy(err)).pipe(out);
  return out;
}

export interface ZipLimits {
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxEntries: number;
}

export interface ZipEntry {
  /** The entry's file name without any folders (the repository is flat per directory). */
  name: string;
  size: number;
  /** The entry's content, inflated as it is read. */
  content(): AsyncIterable<Buffer>;
}

function badZip(message: string): DeployRError {
  return new DeployRError(400, `Bad Request: ${message}`);
}

/** Skips folders and the clutter archivers add (macOS resource forks, Finder files). */
function isClutter(fileName: string): boolean {
  const base = path.posix.basename(fileName);
  return fileName.endsWith('/') || fileName.startsWith('__MACOSX/') || base.startsWith('._') || base === '.DS_Store' || base === 'Thumbs.db';
}

/**
 * Calls `onEntry` for each file of the archive at `zipPath`, one after the other. Entries are
 * flattened to their base names, so `../x` or `a/b/x` arrive as `x` (then checked as any
 * filename). Sizes are checked against the limits before and while reading.
 */
export async function forEachZipEntry(zipPath: string, limits: ZipLimits, onEntry: (entry: ZipEntry) => Promise<void>): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  } catch (err) {
    throw badZip(`not a readable zip archive (${(err as Error).message})`);
  }
  let total = 0;
  let count = 0;
  try {
    for (;;) {
      const entry = await nextEntry(zip);
      if (!entry) break;
      if (isClutter(entry.fileName)) continue;
      if (entry.isEncrypted()) throw badZip(`zip entry '${entry.fileName}' is encrypted`);
      count += 1;
      total += entry.uncompressedSize;
      if (count > limits.maxEntries) throw badZip(`zip archive has more than ${limits.maxEntries} files`);
      if (entry.uncompressedSize > limits.maxEntryBytes) throw new DeployRError(413, `Bad Request: zip entry '${entry.fileName}' exceeds the maximum file upload size`);
      if (total > limits.maxTotalBytes) throw new DeployRError(413, `Bad Request: zip archive content exceeds ${limits.maxTotalBytes} bytes`);
      const name = path.posix.basename(entry.fileName.replace(/\\/g, '/'));
      await onEntry({
        name,
        size: entry.uncompressedSize,
        content: () => entryContent(zip, entry),
      });
    }
  } finally {
    zip.close();
  }
}

async function* entryContent(zip: yauzl.ZipFile, entry: yauzl.Entry): AsyncIterable<Buffer> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (err) {
    throw badZip(`zip entry '${entry.fileName}' cannot be read (${(err as Error).message})`);
  }
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw badZip(`zip entry '${entry.fileName}' is damaged (${(err as Error).message})`);
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(badZip(`damaged zip archive (${err.message})`));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}
