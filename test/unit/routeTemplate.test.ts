import { comparePrecedence, parseRouteTemplate } from '../../shared/hosting/routeTemplate';

describe('route templates', () => {
  it('matches literals case-insensitively and ignores a trailing slash', () => {
    const route = parseRouteTemplate('api/health');
    expect(route.match('/API/Health/')).toEqual({});
    expect(route.match('/api/health/more')).toBeUndefined();
    expect(route.match('/api')).toBeUndefined();
  });

  it('binds and decodes parameters', () => {
    const route = parseRouteTemplate('v1.0/catalogs/{catalogId}/resources/{resourceId}');
    expect(route.match('/v1.0/catalogs/a%20b/resources/r%2F1')).toEqual({ catalogId: 'a b', resourceId: 'r/1' });
  });

  it('takes the rest of the path into a catch-all, also when empty', () => {
    const route = parseRouteTemplate('v1.0/identityGovernance/{*rest}');
    expect(route.match('/v1.0/identityGovernance/a/b(c=%27d%27)')).toEqual({ rest: "a/b(c='d')" });
    expect(route.match('/v1.0/identityGovernance')).toEqual({ rest: '' });
  });

  it('allows a trailing optional parameter', () => {
    const route = parseRouteTemplate('api/reports/{name?}');
    expect(route.match('/api/reports')).toEqual({});
    expect(route.match('/api/reports/audit')).toEqual({ name: 'audit' });
  });

  it('orders literals before parameters before catch-alls', () => {
    const literal = parseRouteTemplate('api/items/special');
    const param = parseRouteTemplate('api/items/{id}');
    const catchAll = parseRouteTemplate('api/{*rest}');
    const sorted = [catchAll, param, literal].sort(comparePrecedence).map((r) => r.template);
    expect(sorted).toEqual(['api/items/special', 'api/items/{id}', 'api/{*rest}']);
  });

  it.each(['api/{*rest}/more', 'api/{id?}/more', 'api/x{id}', 'api/{id:int}'])(
    'refuses a template it cannot match as Azure would: %s',
    (template) => {
      expect(() => parseRouteTemplate(template)).toThrow(/Route/);
    },
  );
});
