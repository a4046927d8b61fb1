import { useState } from 'preact/hooks';
import { Empty, Loaded, PackageTabs } from '../components';
import { EM, graphAll } from '../graph';
import type { AccessPackage } from '../types';
import { useLoad } from '../useLoad';

/** The packages the person may request (hidden ones are reached only by their link), searchable by name and description. */
export function Packages() {
  const [load] = useLoad(() => graphAll<AccessPackage>(`${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`), []);
  const [query, setQuery] = useState('');
  return (
    <section aria-labelledby="packages-title">
      <h1 id="packages-title">Access packages</h1>
      <p class="lead">Request access to what you need for your work.</p>
      <PackageTabs current="/" />
      <div class="search">
        <label for="package-search">Search access packages</label>
        <input id="package-search" type="search" value={query} placeholder="Name or description" onInput={(e) => setQuery(e.currentTarget.value)} />
      </div>
      <Loaded load={load} what="access packages">
        {(packages) => {
          const words = query.trim().toLowerCase();
          const shown = packages.filter((p) => !words || `${p.displayName} ${p.description ?? ''}`.toLowerCase().includes(words));
          if (packages.length === 0) return <Empty>No access packages are available to you right now.</Empty>;
          if (shown.length === 0) return <Empty>No access package matches “{query}”.</Empty>;
          return (
            <ul class="cards" aria-label="Available access packages">
              {shown.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    <a href={`#/access-packages/${p.id}`}>{p.displayName}</a>
                  </h2>
                  <p>{p.description || 'No description.'}</p>
                </li>
              ))}
            </ul>
          );
        }}
      </Loaded>
    </section>
  );
}
