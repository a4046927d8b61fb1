import { DirectoryState } from './directoryState';
import { FaultInjector, type FaultRule } from './faults';
import type { TenantFixture } from './fixture';
import { Outbox } from './outbox';
import { RequestCounters } from './requestCounters';

/** Everything a running emulator holds; a reset brings it all back to the seed. */
export class EmulatorRuntime {
  readonly outbox = new Outbox();
  readonly counters = new RequestCounters();
  readonly faults: FaultInjector;
  #directory: DirectoryState;

  constructor(
    private readonly seed: TenantFixture,
    readonly pageSize: number,
    faults: readonly FaultRule[] = [],
  ) {
    this.#directory = new DirectoryState(seed);
    this.faults = new FaultInjector(faults);
  }

  get directory(): DirectoryState {
    return this.#directory;
  }

  /** Back to the seed: a new directory (so older delta tokens are stale), no faults, no counts, an empty outbox. */
  reset(): void {
    this.#directory = new DirectoryState(this.seed);
    this.faults.clear();
    this.counters.reset();
    this.outbox.clear();
  }
}
