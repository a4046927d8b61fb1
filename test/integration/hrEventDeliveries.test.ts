import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { acceptDelivery } from '../../shared/operations/hrEvents/acceptDelivery';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';

/**
 * The HR webhook's memory of deliveries, on Azurite with a clock the test moves: a delivery is claimed once, also by
 * racing instances, and forgotten by the expiration sweep once its signature could no longer pass the tolerance.
 */
let world: InProcessOperations;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ deps } = world = started));

describe('HR webhook deliveries', () => {
  it('takes one of several racing claims of one signed delivery, and each timestamp of a resent one', async () => {
    const timestamp = Math.floor(world.now().toSeconds());
    const claims = await Promise.all(Array.from({ length: 8 }, () => acceptDelivery(deps, { deliveryId: 'msg_race', timestamp })));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await acceptDelivery(deps, { deliveryId: 'msg_race', timestamp: timestamp + 5 })).toBe(true);
  });

  it('is forgotten by the expiration sweep once past the tolerance, and not before', async () => {
    const timestamp = Math.floor(world.now().toSeconds());
    expect(await acceptDelivery(deps, { deliveryId: 'msg_old', timestamp })).toBe(true);
    world.advance({ minutes: 4 });
    await sweepExpirations(deps, { holder: 'early', budgetMs: 60_000 });
    expect(await acceptDelivery(deps, { deliveryId: 'msg_old', timestamp })).toBe(false);
    world.advance({ minutes: 3 });
    const run = await sweepExpirations(deps, { holder: 'late', budgetMs: 60_000 });
    expect(run).toMatchObject({ failed: 0 });
    expect(run!.processed).toBeGreaterThan(0);
    expect(await acceptDelivery(deps, { deliveryId: 'msg_old', timestamp })).toBe(true);
  });
});
