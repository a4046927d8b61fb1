import type { Config } from '../config';
import { localSignInTurnedOn } from './localSignIn';

/**
 * Why the portal can sign nobody in, or undefined when it can. With AUTH_MODE=jwt the API takes bearer tokens only,
 * and the page has none to send: it relies on App Service Authentication's session, which is off in that mode, and the
 * local host's `?as=` hands it an `x-ms-client-principal`, which the API then ignores. The page says so rather than
 * showing pages whose every call would answer 401.
 */
export function noSignInReason(config: Pick<Config, 'AUTH_MODE'>): string | undefined {
  if (config.AUTH_MODE !== 'jwt') return undefined;
  const reason =
    'This service takes bearer tokens only (AUTH_MODE=jwt), and this page has no way to get or send one: call the API ' +
    'with a token instead.';
  if (!localSignInTurnedOn()) return reason;
  return `${reason} On the local host, ?as= and the identity picker need AUTH_MODE=easyauth (the default).`;
}
