import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { blobServiceClient, type StorageConnection } from './storageConnection';

/** A blob as read: its bytes and its metadata (a digest's detached signature lives there). */
export interface ArchiveBlob {
  bytes: Buffer;
  metadata: Record<string, string>;
}

/**
 * The archive's blob container (`@azure/storage-blob`), created on first write. A blob is written once and never
 * replaced: in Azure the container is write-once (a time-based immutability policy), and the archive's names and
 * bytes follow from the hour they cover, so writing one again finds the same bytes there and is done. Finding other
 * bytes under the name is an error: something else wrote there.
 */
export class ArchiveContainer {
  #containerClient: ContainerClient | undefined;
  #created: Promise<unknown> | undefined;

  constructor(
    private readonly connection: StorageConnection,
    readonly name: string,
  ) {}

  /**
   * Made on first use: a connection string may name only a table endpoint (the service runs on it), and the blob
   * client refuses such a string at once; only the archive then fails, saying why.
   */
  get #client(): ContainerClient {
    this.#containerClient ??= blobServiceClient(this.connection).getContainerClient(this.name);
    return this.#containerClient;
  }

  async put(path: string, bytes: Buffer, metadata: Record<string, string> = {}): Promise<void> {
    this.#created ??= this.#client.createIfNotExists().catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    await this.#created;
    try {
      await this.#client.getBlockBlobClient(path).uploadData(bytes, {
        metadata,
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: path.endsWith('.json') ? 'application/json' : 'application/x-ndjson' },
      });
    } catch (error) {
      if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
      const existing = await this.get(path);
      if (!existing || sha256(existing.bytes) !== sha256(bytes) || !sameMetadata(existing.metadata, metadata)) {
        throw new Error(`The archive already holds a different '${path}'; it was not replaced.`);
      }
    }
  }

  /** The blob, or undefined when there is none (or no container yet). */
  async get(path: string): Promise<ArchiveBlob | undefined> {
    try {
      const blob = this.#client.getBlobClient(path);
      const properties = await blob.getProperties();
      return { bytes: await blob.downloadToBuffer(), metadata: properties.metadata ?? {} };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Every blob's name under a prefix, in name order (the service lists them so), a page at a time. */
  async *names(prefix = ''): AsyncGenerator<string> {
    try {
      for await (const item of this.#client.listBlobsFlat({ prefix })) yield item.name;
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw error;
    }
  }

  async delete(path: string): Promise<void> {
    await this.#client.getBlobClient(path).deleteIfExists();
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Blob metadata names are case-insensitive (Storage may answer them in another case than they were sent). */
const sameMetadata = (a: Record<string, string>, b: Record<string, string>) => {
  const normal = (m: Record<string, string>) => JSON.stringify(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]).sort());
  return normal(a) === normal(b);
};

/** A blob or container that is not there: 404, whichever copy of RestError the blob SDK threw. */
const statusOf = (error: unknown) => (error as { statusCode?: number } | undefined)?.statusCode;
