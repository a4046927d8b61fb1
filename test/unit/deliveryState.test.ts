import type { DeliveryOperation, DirectoryRole } from '../../shared/domain/assignments/assignment';
import { additions, deliveryState, removals, roleKey } from '../../shared/domain/assignments/deliveryState';

const role = (group: string, kind = 'Member'): DirectoryRole => ({
  roleScopeId: `${kind}-${group}`,
  originSystem: 'AadGroup',
  resourceOriginId: group,
  roleOriginId: `${kind}_${group}`,
  displayName: kind,
});
const op = (action: DeliveryOperation['action'], state: DeliveryOperation['state'], group = 'g1'): DeliveryOperation => ({ action, role: role(group), state, attempts: 1, lastError: null });

describe('delivery state', () => {
  it.each([
    ['no roles at all', [], 'delivered'],
    ['every addition done', [op('add', 'done'), op('add', 'done', 'g2')], 'delivered'],
    ['an addition still pending', [op('add', 'done'), op('add', 'pending', 'g2')], 'delivering'],
    ['some done, some failed', [op('add', 'done'), op('add', 'failed', 'g2')], 'partiallyDelivered'],
    ['every addition failed', [op('add', 'failed'), op('add', 'failed', 'g2')], 'deliveryFailed'],
    ['removals do not count for an active assignment', [op('add', 'done'), op('remove', 'failed', 'g2')], 'delivered'],
  ])('%s → %s', (_name, operations, expected) => {
    expect(deliveryState(operations as DeliveryOperation[])).toBe(expected);
  });

  it.each([
    ['every removal done', [op('remove', 'done'), op('remove', 'done', 'g2')], 'delivered'],
    ['one removal failed', [op('remove', 'done'), op('remove', 'failed', 'g2')], 'partiallyDelivered'],
    ['every removal failed', [op('remove', 'failed')], 'deliveryFailed'],
  ])('a removal with %s → %s', (_name, operations, expected) => {
    expect(deliveryState(operations as DeliveryOperation[], 'remove')).toBe(expected);
  });

  it('plans a pending removal for each role', () => {
    const planned = removals([role('g1'), role('g1', 'Owner')]);
    expect(planned.map((o) => o.role.roleOriginId)).toEqual(['Member_g1', 'Owner_g1']);
    expect(planned.every((o) => o.action === 'remove' && o.state === 'pending')).toBe(true);
  });

  it('sees one role in two packages as the same role, whatever the letter case of its ids', () => {
    expect(roleKey({ ...role('G1'), roleScopeId: 'other' })).toBe(roleKey(role('g1')));
    expect(additions([role('g1')])).toEqual([{ action: 'add', role: role('g1'), state: 'pending', attempts: 0, lastError: null }]);
  });
});
