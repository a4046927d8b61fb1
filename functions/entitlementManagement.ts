import { ENTITLEMENT_ROUTES } from '../shared/api/entitlementManagement/routes';
import { AREA_METHODS, graphArea } from '../shared/api/graphArea';
import { httpHandler } from '../shared/api/httpHandler';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/identityGovernance/entitlementManagement';

/** The Graph v1.0 entitlement management API. */
export const entitlementManagement = graphArea(AREA, ENTITLEMENT_ROUTES);

registerHttp('entitlementManagement', { route: `${AREA}/{*path}`, methods: AREA_METHODS, handler: httpHandler(entitlementManagement) });
