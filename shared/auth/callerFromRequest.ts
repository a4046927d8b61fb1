import type { HttpRequest } from '@azure/functions';
import type { Config } from '../config';
import type { BearerTokenValidator } from './bearerTokens';
import { callerFromClientPrincipal, type Caller } from './caller';
import { withHomeTenant } from './externalCaller';

/**
 * The caller of a request in the configured mode: `x-ms-client-principal` in easyauth mode, `Authorization:
 * Bearer` in jwt mode (the other header is ignored, so neither mode can be talked into the other), marked external
 * when their tenant is not `TENANT_ID`. Undefined when the request names no caller.
 */
export async function callerFromRequest(
  request: HttpRequest,
  config: Pick<Config, 'AUTH_MODE'> & Partial<Pick<Config, 'TENANT_ID'>>,
  bearerTokens?: BearerTokenValidator,
): Promise<Caller | undefined> {
  const caller = await signedInCaller(request, config, bearerTokens);
  return caller && withHomeTenant(caller, config.TENANT_ID);
}

async function signedInCaller(request: HttpRequest, config: Pick<Config, 'AUTH_MODE'>, bearerTokens?: BearerTokenValidator): Promise<Caller | undefined> {
  if (config.AUTH_MODE === 'easyauth') return callerFromClientPrincipal(request.headers.get('x-ms-client-principal'));
  if (!bearerTokens) throw new Error('AUTH_MODE is jwt but no bearer token validator was given.');
  return bearerTokens.callerFrom(request.headers.get('authorization'));
}
