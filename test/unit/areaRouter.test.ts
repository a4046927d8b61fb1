import { matchRoute, type AreaRoute } from '../../shared/api/entitlementManagement/areaRouter';
import { DomainError } from '../../shared/domain/errors';

const route = (pattern: string): AreaRoute => ({ method: 'GET', pattern, action: 'list', handle: async () => ({ status: 200 }) });
const ROUTES = [route('accessPackages/{id}'), route('accessPackages/{id}/incompatibleGroups'), route('catalogs')];

describe('matching a path to an area route', () => {
  it('takes beta entity-set names as their v1.0 names', () => {
    expect(matchRoute(ROUTES, 'GET', ['accessPackageCatalogs'])).toMatchObject({ route: { pattern: 'catalogs' } });
  });

  it.each([['toString'], ['constructor'], ['__proto__'], ['hasOwnProperty']])(
    'takes the segment %j as an id or an unknown segment, never as a name inherited from Object',
    (segment) => {
      expect(matchRoute(ROUTES, 'GET', ['accessPackages', segment, 'incompatibleGroups'])).toMatchObject({ ids: [segment] });
      expect(() => matchRoute(ROUTES, 'GET', [segment])).toThrow(DomainError);
    },
  );
});
