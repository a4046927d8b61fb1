import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { processDueItems, withSweepLease, type DueWorkResult, type SweepOptions } from '../lifecycle/sweepDueWork';
import { carryOutRemoval } from './guestLifecycle';

/**
 * `externalUserSweep` (DESIGN §2.7): blocks and deletes governed guests left with no assignment, as planned when
 * their last assignment ended. It reads only the items due (its own due-time index), so its cost follows what is
 * due. Undefined when another instance is running it.
 */
export async function sweepExternalUsers(deps: EntitlementDeps, options: SweepOptions): Promise<DueWorkResult | undefined> {
  return withSweepLease(deps, 'externalUserSweep', options, (checkpoint, deadline, lease) =>
    processDueItems(deps, deps.externalUserWork, (item) => carryOutRemoval(deps, item), { from: checkpoint, now: deps.clock.now(), deadline, lease }),
  );
}
