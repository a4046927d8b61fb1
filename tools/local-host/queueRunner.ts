import type { StorageQueueHandler } from '@azure/functions';
import { RestError, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import type { QueueHostSettings } from '../../shared/hosting/queueSettings';
import { decodeMessageText, payloadOf, poisonQueueOf } from '../../shared/queues/queueMessages';
import { queueServiceClient, type StorageConnection } from '../../shared/store/storageConnection';
import { answeredWithin } from './answeredWithin';
import { invoke } from './invoke';
import type { HostLog } from './log';

export interface QueueRunnerOptions {
  connection: StorageConnection;
  /** host.json `extensions.queues`. */
  settings: QueueHostSettings;
  log: HostLog;
  /**
   * How long a message is kept invisible while its function runs, renewed every half of it: the Functions host
   * holds it 10 minutes. A test makes it short to see a message come back after its worker was killed.
   */
  holdMs?: number;
  /**
   * How long one storage call (a poll, a delete, a visibility update, a renewal, a step of the poison move) may go
   * unanswered before it is given up and made again: STORAGE_TIMEOUT_MS. A test makes it short.
   */
  storageTimeoutMs?: number;
}

/** The Functions host's queue listener holds a message this long, renewing it on a timer while the function runs. */
const HOLD_MS = 10 * 60_000;
/** The first wait after an empty poll; it doubles (randomized) up to maxPollingInterval, and resets on a message. */
const MIN_POLLING_INTERVAL_MS = 100;
/**
 * How long a storage call may go unanswered, the SDK's own retries included: the longest the Queue service works on
 * one try (its server timeout's maximum, which the SDK asks for). A call with no answer by then has a connection that
 * never answers, which would otherwise stall its worker for ever.
 */
const STORAGE_TIMEOUT_MS = 30_000;
/** How often a call after a poll is made when it does not answer in time: as often as the SDK's policy tries by default. */
const TRIES = 4;

/**
 * Runs one queue-triggered function as the Functions host's queue listener does: polls with a random exponential
 * back-off, fetches `batchSize` messages when the ones in flight drop to `newBatchThreshold`, holds each invisible
 * while its function runs (renewing that), decodes it (base64 unless `messageEncoding` is `none`; undecodable goes
 * straight to the poison queue) and hands it over JSON-parsed with its trigger metadata. On success the message is
 * deleted; on failure it becomes visible again after `visibilityTimeout`, or, at `maxDequeueCount` attempts, moves
 * to `<queue>-poison`.
 */
export class QueueRunner {
  #clients: { polling: QueueClient; queue: QueueClient; poison: QueueClient } | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #holdMs: number;
  readonly #storageTimeoutMs: number;
  #stopping = false;
  #loop: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #poisonCreated: Promise<unknown> | undefined;

  constructor(
    readonly name: string,
    readonly queueName: string,
    private readonly handler: StorageQueueHandler,
    private readonly options: QueueRunnerOptions,
  ) {
    this.#holdMs = options.holdMs ?? HOLD_MS;
    this.#storageTimeoutMs = options.storageTimeoutMs ?? STORAGE_TIMEOUT_MS;
  }

  /**
   * Made when first polled, so a storage account without a queue endpoint is a polling failure (logged, retried)
   * rather than a host that does not start. One attempt per poll, unanswered given up as any failure: the polling
   * loop is the retry.
   */
  get #polling(): QueueClient {
    return this.#connect().polling;
  }

  /**
   * For what follows a poll: the hold's renewal, the delete on success, the failure's visibility and the poison
   * move. Nothing retries these if they fail once, and a message left behind stays held until its hold runs out
   * (10 minutes), so they retry transient failures (a reset connection, a 500 or 503) with the SDK's default policy,
   * as the Functions host's own storage calls do; a call that does not answer in time is made again (#settling).
   */
  get #queue(): QueueClient {
    return this.#connect().queue;
  }

  get #poison(): QueueClient {
    return this.#connect().poison;
  }

  #connect(): { polling: QueueClient; queue: QueueClient; poison: QueueClient } {
    if (!this.#clients) {
      const once = queueServiceClient(this.options.connection, { retryOptions: { maxTries: 1 } });
      const retrying = queueServiceClient(this.options.connection);
      this.#clients = {
        polling: once.getQueueClient(this.queueName),
        queue: retrying.getQueueClient(this.queueName),
        poison: retrying.getQueueClient(poisonQueueOf(this.queueName)),
      };
    }
    return this.#clients;
  }

  start(): void {
    this.#loop = this.#poll();
  }

  /** Stops fetching messages; those in flight run to their end (see `drained`). */
  stop(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  /** Resolves once polling has stopped and no message is in flight. */
  async drained(): Promise<void> {
    await this.#loop;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #poll(): Promise<void> {
    const { settings, log } = this.options;
    let intervalMs = MIN_POLLING_INTERVAL_MS;
    let created = false;
    let lastFailure: string | undefined;
    while (!this.#stopping) {
      if (this.#inFlight.size > settings.newBatchThreshold) {
        await Promise.race([...this.#inFlight]);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        if (!created) created = Boolean(await answeredWithin(this.#storageTimeoutMs, 1, (abortSignal) => this.#polling.createIfNotExists({ abortSignal })));
        const receive = { numberOfMessages: settings.batchSize, visibilityTimeout: seconds(this.#holdMs) };
        const received = await answeredWithin(this.#storageTimeoutMs, 1, (abortSignal) => this.#polling.receiveMessages({ ...receive, abortSignal }));
        messages = received.receivedMessageItems;
        lastFailure = undefined;
      } catch (error) {
        // Once per kind of failure, not once per poll: storage away would otherwise fill the log.
        const failure = error instanceof Error ? error.message.split('\n')[0] : String(error);
        if (failure !== lastFailure) log(`Queue '${this.queueName}' (${this.name}): polling failed, will retry: ${failure}`);
        lastFailure = failure;
        intervalMs = settings.maxPollingIntervalMs;
      }
      if (messages.length === 0) {
        await this.#sleep(Math.min(settings.maxPollingIntervalMs, intervalMs * (0.8 + Math.random() * 0.4)));
        intervalMs = Math.min(settings.maxPollingIntervalMs, intervalMs * 2);
        continue;
      }
      intervalMs = MIN_POLLING_INTERVAL_MS;
      for (const message of messages) {
        const work = this.#process(message).catch((error: unknown) => log(`Queue '${this.queueName}' (${this.name}): message ${message.messageId}: ${String(error)}`));
        const tracked = work.finally(() => this.#inFlight.delete(tracked));
        this.#inFlight.add(tracked);
      }
    }
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { settings, log } = this.options;
    const text = decodeMessageText(message.messageText, settings.messageEncoding);
    if (text === undefined) {
      log(`Queue '${this.queueName}' (${this.name}): Message decoding has failed! Check MessageEncoding settings. Moving message ${message.messageId} to the poison queue.`);
      await this.#moveToPoison(message, message.popReceipt);
      return;
    }
    const hold = this.#holdWhileRunning(message);
    const outcome = await invoke(this.name, log, async (context) => {
      await this.handler(payloadOf(text), context);
    }, () => '', {
      id: message.messageId,
      dequeueCount: message.dequeueCount,
      popReceipt: message.popReceipt,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
    });
    const popReceipt = await hold.release();
    if (outcome.status === 'Succeeded') {
      await this.#delete(message.messageId, popReceipt);
    } else if (message.dequeueCount >= settings.maxDequeueCount) {
      log(`Queue '${this.queueName}' (${this.name}): message ${message.messageId} failed ${message.dequeueCount} times; moving it to '${poisonQueueOf(this.queueName)}'.`);
      await this.#moveToPoison(message, popReceipt);
    } else {
      await this.#settling((abortSignal) => this.#queue.updateMessage(message.messageId, popReceipt, undefined, seconds(settings.visibilityTimeoutMs), { abortSignal }));
    }
  }

  /** A storage call after a poll: one that does not answer in time is made again, up to TRIES in all (answeredWithin.ts). */
  #settling<T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return answeredWithin(this.#storageTimeoutMs, TRIES, call);
  }

  /**
   * Keeps the message invisible while its function runs, renewing the hold every half of it; `release` stops that
   * and answers the latest pop receipt (each renewal gives a new one).
   */
  #holdWhileRunning(message: DequeuedMessageItem): { release(): Promise<string> } {
    let popReceipt = message.popReceipt;
    let renewal: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewal = renewal.then(async () => {
        try {
          const renewed = await this.#settling((abortSignal) => this.#queue.updateMessage(message.messageId, popReceipt, undefined, seconds(this.#holdMs), { abortSignal }));
          popReceipt = renewed.popReceipt!;
        } catch (error) {
          this.options.log(`Queue '${this.queueName}' (${this.name}): could not extend the hold on message ${message.messageId}: ${String(error)}`);
        }
      });
    }, this.#holdMs / 2);
    return {
      release: async () => {
        clearInterval(timer);
        await renewal;
        return popReceipt;
      },
    };
  }

  /** Copies the message, as it was sent, to the poison queue, then deletes it here (a crash between: it is copied again). */
  async #moveToPoison(message: DequeuedMessageItem, popReceipt: string): Promise<void> {
    // A failed creation is tried again by the next message, not remembered for ever.
    this.#poisonCreated ??= this.#settling((abortSignal) => this.#poison.createIfNotExists({ abortSignal })).catch((error: unknown) => {
      this.#poisonCreated = undefined;
      throw error;
    });
    await this.#poisonCreated;
    await this.#settling((abortSignal) => this.#poison.sendMessage(message.messageText, { abortSignal }));
    await this.#delete(message.messageId, popReceipt);
  }

  /**
   * Deletes the message unless it is gone already (404: a retry whose first try did delete it) or another instance
   * holds it now (400 PopReceiptMismatch: it will delete it), as the Functions host's queue processor does.
   */
  async #delete(messageId: string, popReceipt: string): Promise<void> {
    try {
      await this.#settling((abortSignal) => this.#queue.deleteMessage(messageId, popReceipt, { abortSignal }));
    } catch (error) {
      if (isNotFound(error)) return;
      if (isPopReceiptMismatch(error)) {
        // Ours no longer (a renewal whose answer was lost leaves a stale receipt): it comes back after its hold and
        // runs again, which its idempotent handler makes harmless; said, as the Functions host says it.
        this.options.log(`Queue '${this.queueName}' (${this.name}): message ${messageId} could not be deleted: its pop receipt is no longer current; it will be processed again.`);
        return;
      }
      throw error;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Storage takes visibility in whole seconds; the hold is at least 1 s (Get Messages' minimum). */
const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

const isNotFound = (error: unknown) => error instanceof RestError && error.statusCode === 404;
const isPopReceiptMismatch = (error: unknown) =>
  error instanceof RestError && error.statusCode === 400 && (error.details as { errorCode?: string } | undefined)?.errorCode === 'PopReceiptMismatch';
