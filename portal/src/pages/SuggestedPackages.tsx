import { Empty, Loaded, PackageTabs } from '../components';
import type { Collection } from '../graph';
import { graph } from '../graph';
import type { SuggestedPackage } from '../types';
import { useLoad } from '../useLoad';

/**
 * Entra's Suggested tab, simply: packages the person's peers (the other direct reports of their manager) hold, that
 * they may request and have not; most held first (shared/operations/myAccess/suggestedPackages.ts).
 */
export function SuggestedPackages() {
  const [load] = useLoad(async () => (await graph<Collection<SuggestedPackage>>('/api/myAccess/suggestedAccessPackages')).value, []);
  return (
    <section aria-labelledby="suggested-title">
      <h1 id="suggested-title">Suggested access packages</h1>
      <p class="lead">What people who share your manager have, and you can request.</p>
      <PackageTabs current="/suggested" />
      <Loaded load={load} what="suggestions">
        {(suggested) =>
          suggested.length === 0 ? (
            <Empty>No suggestions for you right now.</Empty>
          ) : (
            <ul class="cards" aria-label="Suggested access packages">
              {suggested.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`#/access-packages/${p.id}`}>{p.displayName}</a>
                  </h2>
                  <p>{p.description || 'No description.'}</p>
                  <p class="hint">
                    {p.peersWithAccess} of your peers {p.peersWithAccess === 1 ? 'has' : 'have'} it.
                  </p>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
