import { useEffect, useState } from 'preact/hooks';
import { Access } from './pages/Access';
import { ApprovalHistory } from './pages/ApprovalHistory';
import { Approvals } from './pages/Approvals';
import { ExpiredAccess } from './pages/ExpiredAccess';
import { NoSignIn } from './pages/NoSignIn';
import { PackagePage } from './pages/PackagePage';
import { Packages } from './pages/Packages';
import { Requests } from './pages/Requests';
import { Reviews } from './pages/Reviews';
import { SignIn } from './pages/SignIn';
import { SuggestedPackages } from './pages/SuggestedPackages';
import type { PortalSettings } from './settings';

/** Hash routes, so a package link (`#/access-packages/{id}`) works under any host path. */
function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

/** The sections, each with the routes of its other views (shown as tabs on its pages). */
const NAV = [
  { path: '/', label: 'Access packages', views: ['/suggested'] },
  { path: '/requests', label: 'Request history', views: [] },
  { path: '/access', label: 'Active access', views: ['/access/expired'] },
  { path: '/approvals', label: 'Approvals', views: ['/approvals/history'] },
  { path: '/reviews', label: 'Access reviews', views: [] },
];

const TITLES: Record<string, string> = {
  '/': 'Access packages',
  '/requests': 'Request history',
  '/access': 'Active access',
  '/approvals': 'Approvals',
  '/approvals/history': 'Approval history',
  '/access/expired': 'Expired access',
  '/suggested': 'Suggested access packages',
  '/reviews': 'Access reviews',
};

export function App({ settings }: { settings: PortalSettings }) {
  const route = useRoute();
  const local = settings.localSignIn;
  const user = local?.signedIn;
  const packageId = /^\/access-packages\/([^/?]+)/.exec(route)?.[1];
  useEffect(() => {
    document.title = `${packageId ? 'Access package' : (TITLES[route] ?? 'My Access')} – My Access`;
  }, [route, packageId]);

  if (settings.noSignIn) {
    return (
      <Shell>
        <NoSignIn reason={settings.noSignIn} />
      </Shell>
    );
  }
  if (local && !user) {
    return (
      <Shell>
        <SignIn identities={local.identities} error={local.error} />
      </Shell>
    );
  }
  let page;
  if (packageId) page = <PackagePage id={decodeURIComponent(packageId)} />;
  else if (route === '/requests') page = <Requests />;
  else if (route === '/access') page = <Access />;
  else if (route === '/access/expired') page = <ExpiredAccess />;
  else if (route === '/suggested') page = <SuggestedPackages />;
  else if (route === '/approvals') page = <Approvals />;
  else if (route === '/approvals/history') page = <ApprovalHistory />;
  else if (route === '/reviews') page = <Reviews />;
  else page = <Packages />;
  return (
    <Shell
      nav={
        <nav aria-label="My Access">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a href={`#${item.path}`} aria-current={route === item.path ? 'page' : item.views.includes(route) ? 'true' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      }
      user={user && (local ? <a href="?">{user.displayName} (switch)</a> : user.displayName)}
    >
      {page}
    </Shell>
  );
}

function Shell({ children, nav, user }: { children: preact.ComponentChildren; nav?: preact.ComponentChildren; user?: preact.ComponentChildren }) {
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          // The hash names routes, so the skip link moves focus itself.
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">My Access</span>
        {user && <span class="user">Signed in as {user}</span>}
      </header>
      {nav}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
