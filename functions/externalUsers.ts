import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { requireCaller } from '../shared/auth/authorize';
import { callerFromRequest } from '../shared/auth/callerFromRequest';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { registerHttp } from '../shared/hosting/registry';
import { listPendingRemovals } from '../shared/operations/externalUsers/pendingRemovals';

/** Governed guests due to be blocked or deleted, when, and why (DESIGN §2.3); administrators only. */
export async function pendingRemovals(request: HttpRequest): Promise<HttpResponseInit> {
  const deps = getDeps();
  const caller = requireCaller(await callerFromRequest(request, getConfig(), deps.bearerTokens));
  const { value, skipToken } = await listPendingRemovals(deps.entitlements, caller, { top: request.query.get('$top'), skipToken: request.query.get('$skiptoken') });
  const next = new URL(request.url);
  if (skipToken) next.searchParams.set('$skiptoken', skipToken);
  return { status: 200, jsonBody: { value, ...(skipToken ? { '@odata.nextLink': next.toString() } : {}) } };
}

registerHttp('externalUserPendingRemovals', { route: 'api/externalUsers/pendingRemovals', methods: ['GET'], handler: httpHandler(pendingRemovals) });
