import { DateTime } from 'luxon';
import { WEBHOOK_TOLERANCE_SECONDS, type VerifiedDelivery } from '../../domain/hrEvents/webhookSignature';
import { deliveryMinute } from '../../store/hrEventStore';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { planHrDeliveryExpiry } from '../lifecycle/planDueWork';

/**
 * Remembers a verified delivery for as long as its signature could pass the tolerance; false when it was received
 * before (the same id and timestamp: a replay). The expiry is planned first, so no remembered delivery is left
 * without one.
 */
export async function acceptDelivery(deps: EntitlementDeps, delivery: VerifiedDelivery): Promise<boolean> {
  const minute = deliveryMinute(delivery.timestamp);
  const forgetAt = DateTime.fromISO(`${minute}Z`).plus({ minutes: 1, seconds: WEBHOOK_TOLERANCE_SECONDS });
  await planHrDeliveryExpiry(deps, minute, forgetAt);
  return deps.hrEvents.rememberDelivery(delivery.deliveryId, delivery.timestamp, nowIso(deps));
}
