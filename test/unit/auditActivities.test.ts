import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { activityOf, KNOWN_ACTIONS } from '../../shared/api/auditLogs/activities';
import { directoryAuditOf } from '../../shared/api/auditLogs/directoryAuditView';
import { changeShows } from '../../shared/operations/audit/auditedChange';
import type { AuditEvent, AuditProbe } from '../../shared/store/auditLog';
import { tableKey } from '../../shared/store/tableKeys';

const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));

/**
 * Every action written in the operations, as a literal (`action: 'createCatalog'`, `requestEvent('startDelivery'`,
 * the values of the AUDIT_ACTIONS tables and sponsor actions) or as a template whose variants are listed here.
 */
function emittedActions(): Set<string> {
  const found = new Set<string>();
  for (const file of files(join(__dirname, '..', '..', 'shared', 'operations'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/action: '([A-Za-z.]+)'|requestEvent\('([A-Za-z]+)'|(?:add|remove|applied|held|failed|Approve|Deny|DontKnow|NotReviewed|onDemand|scheduled): '([a-z][A-Za-z.]+)'|audit\('([A-Za-z]+)'/g)) {
      found.add((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    }
  }
  // Type annotations, not actions.
  for (const notAnAction of ['add', 'blockSignIn']) found.delete(notAnAction);
  const templates = ['addIncompatible.accessPackage', 'addIncompatible.group', 'removeIncompatible.accessPackage', 'removeIncompatible.group', 'decideApprovalStage.approved', 'decideApprovalStage.denied', 'decideApprovalStage.nextStage', 'reconcile.add', 'reconcile.remove', 'resourceRequest.adminAdd', 'resourceRequest.adminUpdate', 'resourceRequest.adminRemove'];
  return new Set([...found, ...templates]);
}

const event = (action: string, after: unknown = null, before: unknown = null): AuditEvent => ({
  id: 'e', occurredDateTime: '2026-01-01T00:00:00.000Z', actorId: 'a', action, entityType: 't', entityId: 'x', before, after,
  correlationId: 'c', initiator: { kind: 'user', id: 'a' }, result: 'success', catalogId: null,
});

describe("audit events shown under Entra's activity names", () => {
  it('has a row for every action the operations write', () => {
    const emitted = emittedActions();
    expect(emitted.size).toBeGreaterThan(60);
    expect([...emitted].filter((action) => !KNOWN_ACTIONS.includes(action))).toEqual([]);
  });

  it('names a request by its type and a delivery by its outcome, as the request trail in Entra reads', () => {
    expect(activityOf(event('submitRequest', { requestType: 'userAdd' })).displayName).toBe('User requests access package assignment');
    expect(activityOf(event('submitRequest', { requestType: 'adminAdd' })).displayName).toBe('Administrator directly assigns user to access package');
    expect(activityOf(event('startDelivery', { requestType: 'userAdd' }, { state: 'submitted' })).displayName).toBe('Auto approve access package assignment request');
    expect(activityOf(event('startDelivery', { requestType: 'userAdd' }, { state: 'pendingApproval' })).displayName).toBe('Ready to fulfill access package assignment request');
    expect(activityOf(event('deliverRequest', { requestType: 'adminRemove', state: 'delivered' })).displayName).toBe('Remove access package assignment');
    expect(activityOf(event('deliverRequest', { requestType: 'userAdd', state: 'partiallyDelivered' })).displayName).toBe('Partially fulfill access package assignment request');
    expect(activityOf(event('createAccessPackage'))).toEqual({ displayName: 'Create access package', operationType: 'Add', category: 'EntitlementManagement', service: 'Entitlement Management' });
  });
});

describe("an event's result", () => {
  it('is failure, with its reason, for the events that record a failure, so $filter=result eq \'failure\' finds them', () => {
    const failures: Array<[string, unknown, string]> = [
      ['hrEventFailed', { state: 'failed', eventType: 'mover', outcome: { status: 'failed', reason: 'No user has employeeId E9998.' } }, 'No user has employeeId E9998.'],
      ['hrEventAttemptFailed', { state: 'pending', error: 'Graph answered 503.', retried: true }, 'Graph answered 503.'],
      ['employeeChangeFailed', { status: 'failed', reason: 'No account after 7 days.' }, 'No account after 7 days.'],
      ['notificationFailed', { to: ['u'], subject: 's', reason: 'No such mailbox.' }, 'No such mailbox.'],
      ['applyReviewDecision.failed', { reason: 'The directory refused.' }, 'The directory refused.'],
      ['parkDueWork', { attempts: 10, lastError: 'Still failing.' }, 'Still failing.'],
      ['failRequest', { state: 'deliveryFailed', failureReason: 'The invitation was refused.' }, 'The invitation was refused.'],
      ['deliverRequest', { requestType: 'userAdd', state: 'deliveryFailed' }, ''],
    ];
    for (const [action, after, reason] of failures) {
      expect({ action, ...directoryAuditOf(event(action, after)) }).toMatchObject({ action, result: 'failure', resultReason: reason });
    }
    for (const [action, after] of [['createCatalog', { displayName: 'c' }], ['deliverRequest', { requestType: 'userAdd', state: 'delivered' }], ['applyHrEvent', { status: 'applied' }]] as const) {
      expect({ action, ...directoryAuditOf(event(action, after)) }).toMatchObject({ action, result: 'success', resultReason: '' });
    }
  });
});

describe('whether a change written ahead shows', () => {
  const probe = (shows: AuditProbe['shows'], extra: Partial<AuditProbe> = {}): AuditProbe => ({ table: 'catalogs', partitionKey: tableKey('p'), rowKey: tableKey('r'), shows, ...extra });
  it('takes a creation as made once the document is there, a deletion once it is gone, a change once it differs from before', () => {
    expect(changeShows(probe('present'), { before: null, after: null }, undefined)).toBe(false);
    expect(changeShows(probe('present'), { before: null, after: null }, { id: 1 })).toBe(true);
    expect(changeShows(probe('absent'), { before: { id: 1 }, after: null }, { id: 1 })).toBe(false);
    expect(changeShows(probe('absent'), { before: { id: 1 }, after: null }, undefined)).toBe(true);
    expect(changeShows(probe('changed'), { before: { v: 1 }, after: null }, { v: 1 })).toBe(false);
    expect(changeShows(probe('changed'), { before: { v: 1 }, after: null }, { v: 2 })).toBe(true);
    expect(changeShows(probe('changed'), { before: { v: 1 }, after: null }, undefined)).toBe(false);
    expect(changeShows(probe('changed', { was: { v: 3 } }), { before: { summary: true }, after: null }, { v: 3 })).toBe(false);
  });
  it('takes a change of one field as made while the document holds that field as the event has it after', () => {
    const field = probe('changed', { field: 'mark' });
    const planned = { before: {}, after: { mark: 't2' } };
    expect(changeShows(field, planned, { mark: 't2', other: 1 })).toBe(true);
    // Another write's mark (or another field changed, the mark not written): not this change.
    expect(changeShows(field, planned, { mark: 't3' })).toBe(false);
    expect(changeShows(field, planned, { other: 2 })).toBe(false);
    expect(changeShows(field, { before: { mark: 't2' }, after: {} }, { other: 2 })).toBe(true);
    expect(changeShows(field, planned, undefined)).toBe(false);
  });
});
