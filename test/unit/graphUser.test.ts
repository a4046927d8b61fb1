import { deltaSelect, toChangedUser, toDirectoryUser, USER_SELECT } from '../../shared/directory/graphUser';

describe('reading a Graph user', () => {
  it('takes the manager from an expanded manager', () => {
    expect(toDirectoryUser({ id: 'u1', manager: { id: 'm1' } }).managerId).toBe('m1');
  });

  it('has no manager when the expanded manager is absent', () => {
    expect(toDirectoryUser({ id: 'u1' }).managerId).toBeNull();
  });

  it('fills what Graph left out with null or empty, and drops values of the wrong type', () => {
    const user = toDirectoryUser({ id: 'u1', department: 42, otherMails: ['a@x.com', 7], userType: 'Robot' });
    expect(user).toMatchObject({ department: null, otherMails: ['a@x.com'], proxyAddresses: [], userType: null, managerId: null });
    expect(user.onPremisesExtensionAttributes).toEqual({});
  });
});

describe('reading a user from a delta', () => {
  it('takes the new manager from manager@delta', () => {
    expect(toChangedUser({ id: 'u1', 'manager@delta': [{ id: 'm2' }] }).managerId).toBe('m2');
  });

  it('has no manager once the delta says the manager was removed', () => {
    expect(toChangedUser({ id: 'u1', 'manager@delta': [{ id: 'm2', '@removed': { reason: 'deleted' } }] })).toHaveProperty('managerId', null);
  });

  it('reports no manager at all when Graph sent no manager@delta, as the manager did not change', () => {
    const user = toChangedUser({ id: 'u1', department: 'Sales' });
    expect(user).not.toHaveProperty('managerId');
    expect(user.department).toBe('Sales');
  });
});

describe('what a users delta tracks', () => {
  it('tracks every property read, and the manager, unless told otherwise', () => {
    expect(deltaSelect()).toBe(`${USER_SELECT},manager`);
  });

  it('tracks the id and the properties asked for that Portcullis reads, in its own order', () => {
    expect(deltaSelect(['department', 'givenName', 'employeeHireDate', 'onPremisesExtensionAttributes'])).toBe('id,department,employeeHireDate,onPremisesExtensionAttributes');
  });

  it('adds the manager when asked, and tracks only the id when asked for nothing', () => {
    expect(deltaSelect(['manager', 'jobTitle'])).toBe('id,jobTitle,manager');
    expect(deltaSelect([])).toBe('id');
  });
});
