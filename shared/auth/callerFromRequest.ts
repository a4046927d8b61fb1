import type { HttpRequest } from '@azure/functions';
import type { Config } from '../config';
import { DomainError } from '../domain/errors';
import { callerFromClientPrincipal, type Caller } from './caller';

/**
 * The caller of a request in the configured mode. Bearer-token validation (`jwt`) comes with delegated
 * administration; until then that mode refuses every caller rather than trust an unchecked token.
 */
export function callerFromRequest(request: HttpRequest, config: Pick<Config, 'AUTH_MODE'>): Caller | undefined {
  if (config.AUTH_MODE === 'jwt') {
    throw new DomainError('unauthenticated', 'Bearer tokens are not validated by this version; run with AUTH_MODE=easyauth.');
  }
  return callerFromClientPrincipal(request.headers.get('x-ms-client-principal'));
}
