import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { requireCaller } from '../shared/auth/authorize';
import { callerFromRequest } from '../shared/auth/callerFromRequest';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { registerHttp } from '../shared/hosting/registry';
import { directReportsOf } from '../shared/operations/myAccess/directReports';
import { suggestedPackages } from '../shared/operations/myAccess/suggestedPackages';

/** What the My Access portal needs beside Graph's API: whom a manager may request for, and suggested packages. */
async function callerOf(request: HttpRequest) {
  const deps = getDeps();
  return { deps: deps.entitlements, caller: requireCaller(await callerFromRequest(request, getConfig(), deps.bearerTokens)) };
}

/** `GET /api/myAccess/directReports`: the caller's direct reports, `{"value":[{id, displayName, userPrincipalName, mail}]}`. */
export async function myAccessDirectReports(request: HttpRequest): Promise<HttpResponseInit> {
  const { deps, caller } = await callerOf(request);
  return { status: 200, jsonBody: { value: await directReportsOf(deps, caller) } };
}

/** `GET /api/myAccess/suggestedAccessPackages`: `{"value":[{id, displayName, description, peersWithAccess}]}`. */
export async function myAccessSuggestions(request: HttpRequest): Promise<HttpResponseInit> {
  const { deps, caller } = await callerOf(request);
  const value = (await suggestedPackages(deps, caller)).map(({ accessPackage: p, peersWithAccess }) => ({ id: p.id, displayName: p.displayName, description: p.description, peersWithAccess }));
  return { status: 200, jsonBody: { value } };
}

registerHttp('myAccessDirectReports', { route: 'api/myAccess/directReports', methods: ['GET'], handler: httpHandler(myAccessDirectReports) });
registerHttp('myAccessSuggestions', { route: 'api/myAccess/suggestedAccessPackages', methods: ['GET'], handler: httpHandler(myAccessSuggestions) });
