import type { Config } from '../config';

/** Someone to sign in as on the local host's picker. */
export interface DemoIdentity {
  userPrincipalName: string;
  displayName: string;
  /** Why they are worth trying: "Global Administrator", "Manager (approves for reports)", ... */
  what: string;
}

export interface LocalSignIn {
  identities: readonly DemoIdentity[];
}

/**
 * Kept on a global symbol, as the function registry is: the local host and the functions it loads may hold two
 * copies of this module (compiled and source), and must see one switch.
 */
const SWITCH = Symbol.for('portcullis.localSignIn');
const holder = globalThis as Record<symbol, LocalSignIn | undefined>;

/**
 * Turns on `/myaccess?as=<user>` and the identity picker. Only the local host calls this, and only when it started
 * the Graph emulator itself: under the Functions host in Azure nothing does, so the portal there knows only the
 * caller App Service Authentication puts in `x-ms-client-principal`.
 */
export function enableLocalSignIn(signIn: LocalSignIn): void {
  holder[SWITCH] = signIn;
}

/** Whether the local host turned the sign-in on, whatever the settings say now (see noSignIn.ts). */
export function localSignInTurnedOn(): boolean {
  return holder[SWITCH] !== undefined;
}

/**
 * The local sign-in, when it is on and the settings still describe the emulated tenant: Graph is the emulator and
 * the API trusts `x-ms-client-principal` (with AUTH_MODE=jwt a made-up principal would be ignored anyway).
 */
export function localSignIn(config: Pick<Config, 'usesGraphEmulator' | 'AUTH_MODE' | 'WEBSITE_SITE_NAME'>): LocalSignIn | undefined {
  const signIn = holder[SWITCH];
  if (!signIn || !config.usesGraphEmulator || config.AUTH_MODE !== 'easyauth' || config.WEBSITE_SITE_NAME) return undefined;
  return signIn;
}
