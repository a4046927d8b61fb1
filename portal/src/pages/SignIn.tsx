import { ErrorMessage } from '../components';
import type { DemoIdentity } from '../settings';

/**
 * The local host's picker (only there, with the Graph emulator): open the portal as one of the demo tenant's
 * people. In Azure, App Service Authentication signs people in and this page never shows.
 */
export function SignIn({ identities, error }: { identities: DemoIdentity[]; error?: string }) {
  return (
    <section aria-labelledby="signin-title" class="signin">
      <h1 id="signin-title">Sign in to My Access</h1>
      <p class="lead">
        This is the local host with the Graph emulator: choose who to be, or open <code>/myaccess?as=</code> followed by a user id or user principal name.
      </p>
      {error && <ErrorMessage message={error} />}
      <ul class="cards" aria-label="Demo identities">
        {identities.map((identity) => (
          <li class="card" key={identity.userPrincipalName}>
            <h2>
              <a href={`?as=${encodeURIComponent(identity.userPrincipalName)}`}>{identity.displayName}</a>
            </h2>
            <p>{identity.what}</p>
            <p class="hint">{identity.userPrincipalName}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
