import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

/** A blob as read: its bytes and its metadata (a digest's detached signature lives there). */
export interface ArchiveBlob {
  bytes: Buffer;
  metadata: Record<string, string>;
}

/**
 * The archive's blob container (`@azure/storage-blob`), created on first write. Writes replace a blob of the same
 * name: the archive's names and bytes follow from the hour they cover, so writing one again writes the same thing.
 */
export class ArchiveContainer {
  #containerClient: ContainerClient | undefined;
  #created: Promise<unknown> | undefined;

  constructor(
    private readonly connectionString: string,
    readonly name: string,
  ) {}

  /**
   * Made on first use: a connection string may name only a table endpoint (the service runs on it), and the blob
   * client refuses such a string at once; only the archive then fails, saying why.
   */
  get #client(): ContainerClient {
    this.#containerClient ??= BlobServiceClient.fromConnectionString(this.connectionString).getContainerClient(this.name);
    return this.#containerClient;
  }

  async put(path: string, bytes: Buffer, metadata: Record<string, string> = {}): Promise<void> {
    this.#created ??= this.#client.createIfNotExists().catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    await this.#created;
    await this.#client.getBlockBlobClient(path).uploadData(bytes, {
      metadata,
      blobHTTPHeaders: { blobContentType: path.endsWith('.json') ? 'application/json' : 'application/x-ndjson' },
    });
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

/** A blob or container that is not there: 404, whichever copy of RestError the blob SDK threw. */
const statusOf = (error: unknown) => (error as { statusCode?: number } | undefined)?.statusCode;
