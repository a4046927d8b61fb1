import { listCollection, type CollectionItem } from '../collections';
import type { ServicePrincipalRecord } from '../directoryRecords';
import { DIRECTORY_OBJECT_TYPE, project, SERVICE_PRINCIPAL_TYPE, type Entity } from '../entityTypes';
import { readQueryOptions } from '../odataQuery';
import { directoryObjectItem } from '../representations';
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

/** The application's owners, typed directory objects as Graph lists them (a user, or another service principal). */
function listOwners(context: RouteContext) {
  const app = requireServicePrincipal(context.directory, context.params.id!);
  const items = [...app.owners].flatMap(([id, seq]): CollectionItem[] => {
    const object = context.directory.directoryObject(id);
    return object ? [directoryObjectItem(object, seq)] : [];
  });
  return listCollection(context, { entitySet: 'directoryObjects', type: DIRECTORY_OBJECT_TYPE, items });
}

export const servicePrincipalRoutes: readonly Route[] = [
  route('GET', '/servicePrincipals', listServicePrincipals),
  route('GET', '/servicePrincipals/{id}', getServicePrincipal),
  route('GET', '/servicePrincipals/{id}/owners', listOwners),
];
