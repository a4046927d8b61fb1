import { isDomainError } from '../domain/errors';
import { bucketShape, takeTokens, type BucketShape, type WriteBucketState, type WriteBudgetLimits } from '../domain/writeBudget';
import { DocumentTable, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

const BUDGET = tableKey('graphWrites');
const TENANT = tableKey('tenant');
/** Attempts at one take against other instances' takes; each conflict means another instance just took tokens. */
const MAX_CONFLICTS = 20;

/** What a take answers: tokens granted, or how long until `need` of them are there. */
export type Take = { granted: number } | { granted: 0; waitMs: number };

/**
 * The tenant's write bucket in Table Storage, one entity that every instance updates conditionally on its ETag:
 * of two takes at once, one wins and the other reads again, so no token is handed out twice. The entity last
 * written here is kept, so a take costs one round trip while no other instance has written since.
 */
export class WriteBudgetStore {
  readonly #buckets: DocumentTable<WriteBucketState>;
  readonly #shape: BucketShape;
  #last: StoredDocument<WriteBucketState> | undefined;

  constructor(tables: Tables, limits: WriteBudgetLimits) {
    this.#buckets = new DocumentTable(() => tables.get('graphWriteBudget'), 'Graph write budget');
    this.#shape = bucketShape(limits);
  }

  /**
   * Takes at least `need` and at most `want` tokens, or none with when to ask again (takeTokens says how long). A
   * take that reserves tokens writes the bucket as one that grants them does, on the same conditional write.
   */
  async take(need: number, want: number, nowMs: () => number = Date.now): Promise<Take> {
    for (let conflict = 0; ; conflict++) {
      const saved = this.#last ?? (await this.#buckets.get(BUDGET, TENANT));
      const outcome = takeTokens(saved?.value, this.#shape, need, want, nowMs());
      // Kept only after a grant: after a wait, read again next time, as the wait is computed from what another
      // instance may since have changed.
      this.#last = undefined;
      if (!outcome.state) return outcome;
      try {
        const written = saved ? await this.#buckets.replace(saved, outcome.state) : await this.#buckets.insert(BUDGET, TENANT, outcome.state);
        if ('waitMs' in outcome) return { granted: 0, waitMs: outcome.waitMs };
        this.#last = written;
        return { granted: outcome.granted };
      } catch (error) {
        const lost = isDomainError(error) && (error.code === 'concurrencyConflict' || error.code === 'alreadyExists' || error.code === 'notFound');
        if (!lost || conflict >= MAX_CONFLICTS) throw error;
      }
    }
  }
}
