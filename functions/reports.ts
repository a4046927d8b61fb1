import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { answerReport } from '../shared/api/reports/reportResponse';
import type { Caller } from '../shared/auth/caller';
import { requireCaller } from '../shared/auth/authorize';
import { callerFromRequest } from '../shared/auth/callerFromRequest';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { registerHttp } from '../shared/hosting/registry';
import type { EntitlementDeps } from '../shared/operations/entitlements/entitlementDeps';
import { packageAssignmentsReport } from '../shared/operations/reports/packageAssignments';
import type { Report } from '../shared/operations/reports/report';
import { requestsInPeriodReport } from '../shared/operations/reports/requestsInPeriod';
import { separationOfDutiesReport } from '../shared/operations/reports/separationOfDutiesViolations';
import { userAccessPackagesReport } from '../shared/operations/reports/userAccessPackages';
import { userResourceRolesReport } from '../shared/operations/reports/userResourceRoles';

/**
 * A report route (DESIGN §2.8): the caller, then the report (which decides `readAudit` and refuses bad input), then
 * its answer as JSON or CSV. `args` are what the report depends on besides the caller: its next links are bound to them.
 */
function reportRoute(name: string, build: (deps: EntitlementDeps, caller: Caller, request: HttpRequest) => { args: string[]; report: Promise<Report> }) {
  return httpHandler(async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const deps = getDeps();
    const caller = requireCaller(await callerFromRequest(request, getConfig(), deps.bearerTokens));
    const { args, report } = build(deps.entitlements, caller, request);
    return answerReport(request, context, await report, { tokenKey: () => deps.entitlements.listTokenKey.key(), binding: JSON.stringify([caller.objectId, name, ...args]), name });
  });
}

const param = (request: HttpRequest, name: string) => request.params[name] ?? '';

registerHttp('reportAccessPackageAssignments', {
  route: 'api/reports/accessPackages/{id}/assignments',
  methods: ['GET'],
  handler: reportRoute('accessPackageAssignments', (deps, caller, request) => ({ args: [param(request, 'id')], report: packageAssignmentsReport(deps, caller, param(request, 'id')) })),
});

registerHttp('reportUserAccessPackages', {
  route: 'api/reports/users/{userId}/accessPackages',
  methods: ['GET'],
  handler: reportRoute('userAccessPackages', (deps, caller, request) => ({ args: [param(request, 'userId')], report: userAccessPackagesReport(deps, caller, param(request, 'userId')) })),
});

registerHttp('reportUserResourceRoles', {
  route: 'api/reports/users/{userId}/resourceRoles',
  methods: ['GET'],
  handler: reportRoute('userResourceRoles', (deps, caller, request) => ({ args: [param(request, 'userId')], report: userResourceRolesReport(deps, caller, param(request, 'userId')) })),
});

registerHttp('reportSeparationOfDutiesViolations', {
  route: 'api/reports/separationOfDutiesViolations',
  methods: ['GET'],
  handler: reportRoute('separationOfDutiesViolations', (deps, caller) => ({ args: [], report: separationOfDutiesReport(deps, caller) })),
});

registerHttp('reportRequests', {
  route: 'api/reports/requests',
  methods: ['GET'],
  handler: reportRoute('requests', (deps, caller, request) => {
    const [from, to] = [request.query.get('from'), request.query.get('to')];
    return { args: [from ?? '', to ?? ''], report: requestsInPeriodReport(deps, caller, from, to) };
  }),
});
