import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DateTime } from 'luxon';
import { httpHandler } from '../shared/api/httpHandler';
import { BODY_LIMITS, parseJsonBody, readBounded } from '../shared/api/requestBody';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { DomainError } from '../shared/domain/errors';
import { MalformedHrEvent, parseHrEvents, type HrEvent } from '../shared/domain/hrEvents/hrEvent';
import { verifyWebhook } from '../shared/domain/hrEvents/webhookSignature';
import { registerHttp } from '../shared/hosting/registry';
import { acceptDelivery } from '../shared/operations/hrEvents/acceptDelivery';
import { receiveHrEvents } from '../shared/operations/hrEvents/receiveHrEvents';

/**
 * `POST /api/hr/events` (DESIGN §2.6). The caller is the HR system, known by the Standard Webhooks signature over
 * the raw body, not by a principal: a signed-in user or application without the signature gets 401 like anyone.
 * Checked in this order, each refusal changing nothing: size (413), signature and its age (401), every event (400,
 * naming the first malformed one), the same signed delivery again (409). Then 202 with each event's status.
 */
export async function hrEvents(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const deps = getDeps().entitlements;
  const body = await readBounded(request, BODY_LIMITS.bytes);
  const verdict = verifyWebhook(
    { id: request.headers.get('webhook-id'), timestamp: request.headers.get('webhook-timestamp'), signature: request.headers.get('webhook-signature') },
    body,
    getConfig().hrWebhookKeys,
    Math.floor(deps.clock.now().toSeconds()),
  );
  if (!verdict.verified) {
    context.warn(`hrEvents: refused a delivery: ${verdict.reason}`);
    throw new DomainError('unauthenticated', `The delivery is not signed as the HR webhook requires: ${verdict.reason}.`);
  }
  const { deliveryId, timestamp } = verdict.delivery;
  const events = eventsOf(body, deps.clock.now());
  if (!(await acceptDelivery(deps, verdict.delivery))) {
    throw new DomainError('conflict', `Delivery '${deliveryId}' signed at ${timestamp} was received before; a replayed delivery is refused. A sender's retry signs again with a new webhook-timestamp.`);
  }
  const statuses = await receiveHrEvents(deps, events, deliveryId);
  context.log(`hrEvents: delivery ${deliveryId}: ${events.length} event(s), ${statuses.filter((s) => s.status === 'duplicate').length} duplicate(s)`);
  return { status: 202, jsonBody: { value: statuses } };
}

/** Every event of the body, or a 400 naming the first malformed one. */
function eventsOf(body: Buffer, now: DateTime): HrEvent[] {
  try {
    return parseHrEvents(parseJsonBody(body, BODY_LIMITS, 'one HR event or an array of them'), now);
  } catch (error) {
    if (error instanceof MalformedHrEvent) throw new DomainError('invalidRequest', `${error.message} No event of this call was applied.`);
    throw error;
  }
}

registerHttp('hrEvents', { route: 'api/hr/events', methods: ['POST'], handler: httpHandler(hrEvents) });
