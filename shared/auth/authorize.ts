import { DomainError } from '../domain/errors';
import { AdministratorRoles, isAdministrativeApplication, READ_PERMISSION, READ_WRITE_PERMISSION } from './administrators';
import type { Caller } from './caller';

/**
 * What a route does, for the one authorization decision. `manageResources` (adding or removing a catalog's
 * resources) is apart because an application may not do it even with the read-write permission (DESIGN §2.4).
 * `selfService` (requesting, approving) is open to every signed-in caller as far as the route goes: what they may
 * request or decide follows from the policies, which the operation reads, and administrator request types come
 * back here as `write`. `administrativeRead` (everyone's requests and assignments) needs an administrator or an
 * application with a read permission; other callers see what they take part in.
 */
export type Action = 'read' | 'administrativeRead' | 'write' | 'manageResources' | 'selfService';

/**
 * The one place that decides whether a caller may do an action: 401 without a caller, 403 without the right.
 * For now reads need any signed-in caller and writes an administrator; delegation widens the writes.
 */
export async function authorize(possibleCaller: Caller | undefined, action: Action, administrators: AdministratorRoles): Promise<Caller> {
  const caller = requireCaller(possibleCaller);
  const permissions = caller.isApplication ? caller.roles : caller.scopes;
  if (permissions !== undefined) {
    const reading = action === 'read' || action === 'administrativeRead';
    const granted = reading ? [READ_PERMISSION, READ_WRITE_PERMISSION] : [READ_WRITE_PERMISSION];
    if (!granted.some((p) => permissions.includes(p))) {
      throw new DomainError('forbidden', `This needs the ${granted.join(' or ')} permission.`);
    }
  }
  if (action === 'read' || action === 'selfService') return caller;
  if (caller.isApplication) {
    if (action === 'administrativeRead') return caller;
    if (action === 'manageResources') throw new DomainError('forbidden', 'Applications cannot add or remove catalog resources.');
    if (isAdministrativeApplication(caller)) return caller;
  } else if (await administrators.isAdministrator(caller.objectId)) {
    return caller;
  }
  throw new DomainError('forbidden', 'Only an administrator may do this.');
}

/** The first rule of `authorize`, apart so a route can refuse an anonymous caller (401) before reading the path. */
export function requireCaller(caller: Caller | undefined): Caller {
  if (!caller) throw new DomainError('unauthenticated', 'Sign in first: the request names no caller.');
  return caller;
}
