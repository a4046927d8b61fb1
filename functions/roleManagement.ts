import { graphArea, AREA_METHODS } from '../shared/api/graphArea';
import { httpHandler } from '../shared/api/httpHandler';
import { ROLE_ROUTES } from '../shared/api/roleManagement/roleRoutes';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/roleManagement/entitlementManagement';

/** Entitlement management's role-based access control: role definitions and role assignments (Graph v1.0). */
export const roleManagement = graphArea(AREA, ROLE_ROUTES);

registerHttp('roleManagement', { route: `${AREA}/{*path}`, methods: AREA_METHODS, handler: httpHandler(roleManagement) });
