import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { readJsonObject } from '../shared/api/requestBody';
import { requireCaller } from '../shared/auth/authorize';
import { callerFromRequest } from '../shared/auth/callerFromRequest';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { registerHttp } from '../shared/hosting/registry';
import { previewAutoAssignment } from '../shared/operations/autoAssignment/previewAutoAssignment';

/** Who an auto-assignment rule would add and remove, before it is saved; changes nothing. */
export async function policyPreview(request: HttpRequest): Promise<HttpResponseInit> {
  const deps = getDeps();
  const caller = requireCaller(await callerFromRequest(request, getConfig(), deps.bearerTokens));
  return { status: 200, jsonBody: await previewAutoAssignment(deps.entitlements, caller, await readJsonObject(request)) };
}

registerHttp('policyPreview', { route: 'api/policies/preview', methods: ['POST'], handler: httpHandler(policyPreview) });
