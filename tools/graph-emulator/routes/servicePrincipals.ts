import { listCollection } from '../collections';
import type { ServicePrincipalRecord } from '../directoryRecords';
import { project, SERVICE_PRINCIPAL_TYPE, type Entity } from '../entityTypes';
import { readQueryOptions } from '../odataQuery';
import { odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { requireServicePrincipal } from './lookups';

const entity = (app: ServicePrincipalRecord) => app.properties as unknown as Entity;

function listServicePrincipals(context: RouteContext) {
  return listCollection(context, {
    entitySet: 'servicePrincipals',
    type: SERVICE_PRINCIPAL_TYPE,
    items: [...context.directory.servicePrincipals()].map((app) => ({ seq: app.seq, entity: entity(app), type: SERVICE_PRINCIPAL_TYPE })),
  });
}

function getServicePrincipal(context: RouteContext) {
  const app = requireServicePrincipal(context.directory, context.params.id!);
  const options = readQueryOptions(context.query, { type: SERVICE_PRINCIPAL_TYPE, allowed: ['select'] });
  return ok({
    '@odata.context': odataContext(context.origin, 'servicePrincipals', options.select, true),
    ...project(entity(app), SERVICE_PRINCIPAL_TYPE, options.select),
  });
}

export const servicePrincipalRoutes: readonly Route[] = [
  route('GET', '/servicePrincipals', listServicePrincipals),
  route('GET', '/servicePrincipals/{id}', getServicePrincipal),
];
