/** What the page was told by the server (shared/portal/portalPage.ts), read once. */
export interface DemoIdentity {
  userPrincipalName: string;
  displayName: string;
  what: string;
}

export interface SignedInUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  principal: string;
}

export interface PortalSettings {
  localSignIn?: { identities: DemoIdentity[]; signedIn?: SignedInUser; error?: string };
  noSignIn?: string;
}

export function readSettings(): PortalSettings {
  const element = document.getElementById('portal-settings');
  return element?.textContent ? (JSON.parse(element.textContent) as PortalSettings) : {};
}
