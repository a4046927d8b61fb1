import { graphArea, AREA_METHODS } from '../shared/api/graphArea';
import { httpHandler } from '../shared/api/httpHandler';
import { WORKFLOW_ROUTES } from '../shared/api/lifecycleWorkflows/workflowRoutes';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/identityGovernance/lifecycleWorkflows';

/** Lifecycle workflows (Graph v1.0): joiner, mover and leaver workflows, their runs and results. */
export const lifecycleWorkflows = graphArea(AREA, WORKFLOW_ROUTES);

registerHttp('lifecycleWorkflows', { route: `${AREA}/{*path}`, methods: AREA_METHODS, handler: httpHandler(lifecycleWorkflows) });
