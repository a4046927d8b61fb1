import { DomainError } from '../domain/errors';
import { noteInitiator } from '../auditScope';
import type { Caller } from './caller';

/** The first rule of every decision, apart so a route can refuse an anonymous caller (401) before reading the path. */
export function requireCaller(caller: Caller | undefined): Caller {
  if (!caller) throw new DomainError('unauthenticated', 'Sign in first: the request names no caller.');
  noteInitiator({ kind: caller.isApplication ? 'app' : 'user', id: caller.objectId, ...(caller.displayName ? { displayName: caller.displayName } : {}) });
  return caller;
}
