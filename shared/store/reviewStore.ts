import { mapConcurrently } from '../concurrently';
import type { ReviewDecision, ReviewInstance } from '../domain/reviews/accessReview';
import { DocumentTable, type DocumentWrite, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/** A pointer from a reviewer's partition to one decision item they may decide. */
export interface ReviewerPointer {
  definitionId: string;
  instanceId: string;
  decisionId: string;
}

/**
 * One shard of a large review's opening (openReviewInShards.ts): a run of the package's assignee index, and whether
 * its decision items are written (with how many).
 */
export interface OpeningShard {
  definitionId: string;
  instanceId: string;
  index: number;
  fromRowKey: string;
  toRowKey: string;
  done: boolean;
  itemCount: number;
}

/** Table Storage takes at most 100 writes in one transaction. */
const WRITES_PER_TRANSACTION = 100;

/**
 * Access reviews in the table `accessReviews`: a policy's instances in one partition, an instance's decision items
 * in one partition (written 100 to a transaction when it opens), and one partition per reviewer pointing at the
 * items they may decide, so "my decisions" reads the reviewer's items and not the tenant's.
 */
export class ReviewStore {
  readonly instances: DocumentTable<ReviewInstance>;
  readonly decisions: DocumentTable<ReviewDecision>;
  readonly #reviewers: DocumentTable<ReviewerPointer>;
  readonly openingShards: DocumentTable<OpeningShard>;

  constructor(tables: Tables) {
    const table = () => tables.get('accessReviews');
    this.instances = new DocumentTable(table, 'access review instance', (i) => ({ status: i.status }));
    this.decisions = new DocumentTable(table, 'access review decision');
    this.#reviewers = new DocumentTable(table, 'access review reviewer pointer');
    this.openingShards = new DocumentTable(table, 'access review opening shard');
  }

  static instancesKey = (definitionId: string) => tableKey('instances', definitionId);
  static decisionsKey = (instanceId: string) => tableKey('decisions', instanceId);
  static reviewerKey = (reviewerId: string) => tableKey('reviewer', reviewerId);
  static openingKey = (instanceId: string) => tableKey('opening', instanceId);
  static shardKey = (index: number) => tableKey(String(index).padStart(6, '0'));

  /** An opening instance's shards, in order; none before its opening was cut into shards. */
  openingPlan(instanceId: string): Promise<StoredDocument<OpeningShard>[]> {
    return this.openingShards.list({ partitionKey: ReviewStore.openingKey(instanceId) });
  }

  openingShard(instanceId: string, index: number): Promise<StoredDocument<OpeningShard> | undefined> {
    return this.openingShards.get(ReviewStore.openingKey(instanceId), ReviewStore.shardKey(index));
  }

  /** Writes an opening's shards, 100 to a transaction (one partition); upserts, as only the sweep's lease holder plans. */
  async writeOpeningPlan(shards: readonly OpeningShard[]): Promise<void> {
    const writes = shards.map((shard) => this.openingShards.upsertion(ReviewStore.openingKey(shard.instanceId), ReviewStore.shardKey(shard.index), shard));
    for (let i = 0; i < writes.length; i += WRITES_PER_TRANSACTION) await this.openingShards.together(writes.slice(i, i + WRITES_PER_TRANSACTION));
  }

  instance(definitionId: string, instanceId: string): Promise<StoredDocument<ReviewInstance> | undefined> {
    return this.instances.get(ReviewStore.instancesKey(definitionId), tableKey(instanceId));
  }

  /** A new occurrence; `alreadyExists` when it was opened before (exactly once per occurrence). */
  insertInstance(instance: ReviewInstance): Promise<StoredDocument<ReviewInstance>> {
    return this.instances.insert(ReviewStore.instancesKey(instance.definitionId), tableKey(instance.id), instance);
  }

  instancesOf(definitionId: string): Promise<StoredDocument<ReviewInstance>[]> {
    return this.instances.list({ partitionKey: ReviewStore.instancesKey(definitionId) });
  }

  decision(instanceId: string, decisionId: string): Promise<StoredDocument<ReviewDecision> | undefined> {
    return this.decisions.get(ReviewStore.decisionsKey(instanceId), tableKey(decisionId));
  }

  decisionsOf(instanceId: string): Promise<StoredDocument<ReviewDecision>[]> {
    return this.decisions.list({ partitionKey: ReviewStore.decisionsKey(instanceId) });
  }

  /**
   * Writes an opening instance's items and their reviewer pointers, 100 to a transaction. Upserts: while the
   * instance is `Initializing` nobody else writes them, so an opening cut off and run again writes the same rows.
   * Answers the number of transactions.
   */
  async writeOpening(items: readonly ReviewDecision[]): Promise<number> {
    const writes: DocumentWrite[] = [];
    for (const item of items) {
      writes.push(this.decisions.upsertion(ReviewStore.decisionsKey(item.instanceId), tableKey(item.id), item));
      for (const reviewerId of item.reviewerIds) {
        const pointer = { definitionId: item.definitionId, instanceId: item.instanceId, decisionId: item.id };
        writes.push(this.#reviewers.upsertion(ReviewStore.reviewerKey(reviewerId), tableKey(item.instanceId, item.id), pointer));
      }
    }
    const byPartition = new Map<string, DocumentWrite[]>();
    for (const write of writes) {
      const partition = byPartition.get(write.partitionKey);
      if (partition) partition.push(write);
      else byPartition.set(write.partitionKey, [write]);
    }
    const transactions: DocumentWrite[][] = [];
    for (const partition of byPartition.values()) {
      for (let i = 0; i < partition.length; i += WRITES_PER_TRANSACTION) transactions.push(partition.slice(i, i + WRITES_PER_TRANSACTION));
    }
    await mapConcurrently(transactions, (batch) => this.decisions.together(batch));
    return transactions.length;
  }

  /** The items a reviewer may decide, across instances (or in one instance): their partition, then each item. */
  async pointersOf(reviewerId: string): Promise<ReviewerPointer[]> {
    return (await this.#reviewers.list({ partitionKey: ReviewStore.reviewerKey(reviewerId) })).map((d) => d.value);
  }
}
