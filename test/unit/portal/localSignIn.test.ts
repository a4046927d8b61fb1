import { enableLocalSignIn, localSignIn } from '../../../shared/portal/localSignIn';
import { portalPage } from '../../../shared/portal/portalPage';

const EMULATED = { usesGraphEmulator: true, AUTH_MODE: 'easyauth' as const, WEBSITE_SITE_NAME: undefined };
const SWITCH = Symbol.for('portcullis.localSignIn');

describe('the local sign-in of /myaccess?as=', () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[SWITCH];
  });

  it('is off when nothing turned it on, as under the Functions host in Azure, even with the emulator settings', () => {
    expect(localSignIn(EMULATED)).toBeUndefined();
  });

  it('is on once the local host turned it on with the emulator and easyauth', () => {
    enableLocalSignIn({ identities: [] });
    expect(localSignIn(EMULATED)).toEqual({ identities: [] });
  });

  it.each([
    ['Graph is a real tenant (GRAPH_BASE_URL set)', { ...EMULATED, usesGraphEmulator: false }],
    ['the API validates bearer tokens', { ...EMULATED, AUTH_MODE: 'jwt' as const }],
    ['App Service runs the app', { ...EMULATED, WEBSITE_SITE_NAME: 'portcullis-prod' }],
  ])('stays off, even when turned on, where %s', (_what, config) => {
    enableLocalSignIn({ identities: [] });
    expect(localSignIn(config)).toBeUndefined();
  });
});

describe('the portal page', () => {
  const bundle = { script: 'assets/main-A.js', stylesheet: 'assets/main-B.css', assets: new Map() };

  it('carries its settings as inert JSON no value can break out of', () => {
    const html = portalPage(bundle, { localSignIn: { identities: [{ userPrincipalName: 'x', displayName: '</script><script>alert(1)</script>', what: '&' }] } });
    expect(html).not.toContain('</script><script>');
    const json = /<script type="application\/json" id="portal-settings">(.*)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(json!).localSignIn.identities[0].displayName).toBe('</script><script>alert(1)</script>');
    expect(html).toContain('<script type="module" src="/myaccess/assets/main-A.js"></script>');
  });
});
