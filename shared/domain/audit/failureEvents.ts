/**
 * The events that record a failure (Entra's directoryAudit `result: failure`): known by their action, and a request's
 * delivery that ended `deliveryFailed`. Decided when an event is recorded, so the stored event, the archive and the
 * audit log API say the same; the API asks again for events stored before this was kept (all stored `success`).
 */
const FAILURE_ACTIONS: ReadonlySet<string> = new Set([
  'failRequest',
  'parkDueWork',
  'applyReviewDecision.failed',
  'hrEventFailed',
  'hrEventAttemptFailed',
  'employeeChangeFailed',
  'notificationFailed',
]);

export function recordsFailure(event: { action: string; after?: unknown }): boolean {
  if (FAILURE_ACTIONS.has(event.action)) return true;
  const { after } = event;
  return event.action === 'deliverRequest' && typeof after === 'object' && after !== null && (after as { state?: unknown }).state === 'deliveryFailed';
}
