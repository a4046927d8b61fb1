import { readFile } from 'node:fs/promises';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { graphResponse } from '../shared/api/errorResponses';
import { httpHandler } from '../shared/api/httpHandler';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { registerHttp } from '../shared/hosting/registry';
import { localSignIn } from '../shared/portal/localSignIn';
import { noSignInReason } from '../shared/portal/noSignIn';
import { loadPortalBundle, type PortalBundle } from '../shared/portal/portalBundle';
import { portalPage, SECURITY_HEADERS, type PortalSettings } from '../shared/portal/portalPage';
import { signInAs } from '../shared/portal/signInAs';

let bundle: PortalBundle | undefined;

/** The bundle, read once it exists (a test may build it after the worker started). */
function currentBundle(): PortalBundle | undefined {
  bundle ??= loadPortalBundle();
  return bundle;
}

/**
 * `/myaccess`: the My Access page (DESIGN §2.3). Never cached, as it may carry the local sign-in. With the local
 * host's sign-in on, `?as=` names the user the page acts as; anywhere else the parameter is ignored. With AUTH_MODE=jwt
 * the page is told it can sign nobody in.
 */
export async function myAccessPage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const portal = currentBundle();
  if (!portal) return graphResponse(503, 'serviceNotAvailable', 'The My Access portal has not been built: run npm run build.', context.invocationId);
  const settings: PortalSettings = {};
  const noSignIn = noSignInReason(getConfig());
  if (noSignIn) settings.noSignIn = noSignIn;
  const local = localSignIn(getConfig());
  if (local) {
    const as = new URL(request.url).searchParams.get('as');
    settings.localSignIn = { identities: local.identities, ...(as ? await signInAs(getDeps().directory, getConfig().TENANT_ID, as) : {}) };
  }
  return {
    status: 200,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: portalPage(portal, settings),
  };
}

/**
 * `/myaccess/assets/{file}`: a file of the bundle. Names carry their content hash, so they are cached for a year;
 * only names the bundle lists are served.
 */
export async function myAccessAsset(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const asset = currentBundle()?.assets.get(request.params.file ?? '');
  if (!asset) return graphResponse(404, 'itemNotFound', 'No such file in the My Access portal.', context.invocationId);
  return {
    status: 200,
    headers: { ...SECURITY_HEADERS, 'content-type': asset.contentType, 'cache-control': 'public, max-age=31536000, immutable' },
    body: await readFile(asset.path),
  };
}

registerHttp('myAccess', { route: 'myaccess', methods: ['GET', 'HEAD'], handler: httpHandler(myAccessPage) });
registerHttp('myAccessAsset', { route: 'myaccess/assets/{file}', methods: ['GET', 'HEAD'], handler: httpHandler(myAccessAsset) });
