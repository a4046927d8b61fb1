import { filePath, HASH_ALGORITHM, type ArchiveFileKind, type ArchiveWindow, type DigestFile } from '../../domain/archive/archiveLayout';
import { sha256Hex } from '../../domain/archive/digestSigning';
import type { ArchiveContainer } from '../../store/archiveContainer';

/**
 * Writes one kind of line (events, or requests) of one hour into files of at most `maxBytes`, numbered from 1, so
 * memory holds one file at a time. The names and the bytes follow from the lines alone: writing the hour again
 * writes the same files.
 */
export class ArchiveFileWriter {
  readonly files: DigestFile[] = [];
  #lines: string[] = [];
  #bytes = 0;

  constructor(
    private readonly container: ArchiveContainer,
    private readonly window: ArchiveWindow,
    private readonly kind: ArchiveFileKind,
    private readonly maxBytes: number,
    /** Called before each write (the lease's hold). */
    private readonly beforeWrite: () => Promise<void>,
  ) {}

  async add(value: unknown): Promise<void> {
    const line = `${JSON.stringify(value)}\n`;
    const size = Buffer.byteLength(line);
    if (this.#lines.length > 0 && this.#bytes + size > this.maxBytes) await this.#flush();
    this.#lines.push(line);
    this.#bytes += size;
  }

  /** Writes what is left; answers every file written, in order. */
  async close(): Promise<DigestFile[]> {
    if (this.#lines.length > 0) await this.#flush();
    return this.files;
  }

  async #flush(): Promise<void> {
    const bytes = Buffer.from(this.#lines.join(''), 'utf8');
    const path = filePath(this.window, this.kind, this.files.length + 1);
    await this.beforeWrite();
    await this.container.put(path, bytes);
    this.files.push({ path, kind: this.kind, hashAlgorithm: HASH_ALGORITHM, hashValue: sha256Hex(bytes), count: this.#lines.length });
    this.#lines = [];
    this.#bytes = 0;
  }
}

/** The lines of an archived file, parsed, after checking its bytes against the hash its digest names. */
export async function readArchivedFile<T>(container: ArchiveContainer, file: DigestFile): Promise<T[]> {
  const blob = await container.get(file.path);
  if (!blob) throw new Error(`The archive's ${file.path} is not found; nothing it covers is removed from the hot table.`);
  if (sha256Hex(blob.bytes) !== file.hashValue) throw new Error(`The archive's ${file.path} does not match its digest's hash; nothing it covers is removed from the hot table.`);
  return blob.bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}
