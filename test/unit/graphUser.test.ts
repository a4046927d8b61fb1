import { toDirectoryUser } from '../../shared/directory/graphUser';

describe('reading a Graph user', () => {
  it('takes the manager from an expanded manager', () => {
    expect(toDirectoryUser({ id: 'u1', manager: { id: 'm1' } }).managerId).toBe('m1');
  });

  it('takes the manager from a delta', () => {
    expect(toDirectoryUser({ id: 'u1', 'manager@delta': [{ id: 'm2' }] }).managerId).toBe('m2');
  });

  it('has no manager once the delta says the manager was removed', () => {
    expect(toDirectoryUser({ id: 'u1', 'manager@delta': [{ id: 'm2', '@removed': { reason: 'deleted' } }] }).managerId).toBeNull();
  });

  it('fills what Graph left out with null or empty, and drops values of the wrong type', () => {
    const user = toDirectoryUser({ id: 'u1', department: 42, otherMails: ['a@x.com', 7], userType: 'Robot' });
    expect(user).toMatchObject({ department: null, otherMails: ['a@x.com'], proxyAddresses: [], userType: null, managerId: null });
    expect(user.onPremisesExtensionAttributes).toEqual({});
  });
});
