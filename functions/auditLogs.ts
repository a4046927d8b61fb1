import { AUDIT_ROUTES } from '../shared/api/auditLogs/auditRoutes';
import { graphArea, AREA_METHODS } from '../shared/api/graphArea';
import { httpHandler } from '../shared/api/httpHandler';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/auditLogs';

/** The audit log as Graph's directory audits (category EntitlementManagement and the categories of its neighbours). */
export const auditLogs = graphArea(AREA, AUDIT_ROUTES);

registerHttp('auditLogs', { route: `${AREA}/{*path}`, methods: AREA_METHODS, handler: httpHandler(auditLogs) });
