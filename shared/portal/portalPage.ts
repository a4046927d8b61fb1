import type { DemoIdentity } from './localSignIn';
import type { PortalBundle } from './portalBundle';

/** What the page script is told when it starts (the JSON in `#portal-settings`). */
export interface PortalSettings {
  /** Present only on the local host with the Graph emulator (see localSignIn.ts). */
  localSignIn?: {
    identities: readonly DemoIdentity[];
    /** The user `?as=` named, with the `x-ms-client-principal` the page sends on their behalf. */
    signedIn?: { id: string; displayName: string; userPrincipalName: string; principal: string };
    /** Why `?as=` signed no one in. */
    error?: string;
  };
  /** Why the page can sign nobody in (see noSignIn.ts); it then shows this and calls nothing. */
  noSignIn?: string;
}

/**
 * Only the bundle's own script and styles run; the page calls its own origin only and may not be framed.
 * `style-src` allows no inline styles: the bundle sets none in markup.
 */
export const PORTAL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const PORTAL_BASE = '/myaccess';

/** Security headers every portal response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PORTAL_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The one HTML page of the portal. The settings travel as JSON in a non-executable script element, escaped so no
 * value can close the element, which keeps the CSP free of inline scripts.
 */
export function portalPage(bundle: PortalBundle, settings: PortalSettings): string {
  const json = JSON.stringify(settings).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>My Access</title>',
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${PORTAL_BASE}/${bundle.stylesheet}">`,
    `<script type="module" src="${PORTAL_BASE}/${bundle.script}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"><p class="loading" role="status">Loading My Access…</p></div>',
    `<script type="application/json" id="portal-settings">${json}</script>`,
    '</body>',
    '</html>',
  ].join('\n');
}
