import type { QueueClient } from '@azure/storage-queue';
import { mapConcurrently } from '../concurrently';
import { queueServiceClient, type StorageConnection } from '../store/storageConnection';
import { encodeMessage } from './queueMessages';

/** Azure Storage takes a message's visibility delay in whole seconds, at most 7 days. */
const MAX_DELAY_SECONDS = 7 * 24 * 60 * 60;

/**
 * A Storage queue the app sends work to, through `@azure/storage-queue` rather than an output binding, so a failed
 * send is an error the sender sees (and its timer does not checkpoint past it). Messages are JSON, encoded as the
 * queue trigger reads them (queueMessages.ts). The queue is created on first use.
 */
export class WorkQueue {
  #queue: QueueClient | undefined;
  #created: Promise<unknown> | undefined;

  constructor(private readonly connection: StorageConnection, readonly name: string) {}

  /** Made on first use: a connection string without a queue endpoint fails the calls that need one, not start-up. */
  get #client(): QueueClient {
    this.#queue ??= queueServiceClient(this.connection, { retryOptions: { maxTries: 3 } }).getQueueClient(this.name);
    return this.#queue;
  }

  /** Sends one message; `delayMs` keeps it invisible that long first (a throttled shard's Retry-After). */
  async send(payload: unknown, options: { delayMs?: number } = {}): Promise<void> {
    await this.#ensureCreated();
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil((options.delayMs ?? 0) / 1000));
    await this.#client.sendMessage(encodeMessage(payload), delaySeconds > 0 ? { visibilityTimeout: delaySeconds } : {});
  }

  /** Sends each payload as one message, a few at a time; resolves once all are sent. */
  async sendAll(payloads: readonly unknown[]): Promise<void> {
    await this.#ensureCreated();
    await mapConcurrently(payloads, (payload) => this.send(payload));
  }

  /**
   * Messages in the queue, invisible ones (in flight, or waiting out a delay) included: Storage's approximate count.
   * 0 for a queue not created yet.
   */
  async depth(): Promise<number> {
    try {
      return (await this.#client.getProperties()).approximateMessagesCount ?? 0;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return 0;
      throw error;
    }
  }

  /** How long the oldest visible message has waited, in milliseconds; undefined when none is visible. */
  async oldestAgeMs(now = Date.now()): Promise<number | undefined> {
    try {
      const [oldest] = (await this.#client.peekMessages({ numberOfMessages: 1 })).peekedMessageItems;
      return oldest ? Math.max(0, now - oldest.insertedOn.getTime()) : undefined;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  #ensureCreated(): Promise<unknown> {
    this.#created ??= this.#client.createIfNotExists().catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    return this.#created;
  }
}
