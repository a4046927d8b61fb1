import { enableLocalSignIn } from '../../../shared/portal/localSignIn';
import { noSignInReason } from '../../../shared/portal/noSignIn';

const SWITCH = Symbol.for('portcullis.localSignIn');

describe('why the portal can sign nobody in', () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[SWITCH];
  });

  it('is nothing with easyauth: App Service Authentication (or the local ?as=) signs people in', () => {
    enableLocalSignIn({ identities: [] });
    expect(noSignInReason({ AUTH_MODE: 'easyauth' })).toBeUndefined();
  });

  it('is the bearer tokens the page cannot send with jwt, and says nothing of ?as= where there is none (Azure)', () => {
    const reason = noSignInReason({ AUTH_MODE: 'jwt' });
    expect(reason).toContain('bearer tokens only (AUTH_MODE=jwt)');
    expect(reason).not.toContain('?as=');
  });

  it('tells the local host that ?as= and the picker need easyauth', () => {
    enableLocalSignIn({ identities: [] });
    expect(noSignInReason({ AUTH_MODE: 'jwt' })).toContain('?as= and the identity picker need AUTH_MODE=easyauth');
  });
});
