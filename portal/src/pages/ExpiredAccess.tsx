import { AccessTabs, Empty, Loaded } from '../components';
import { formatDate } from '../format';
import { EM, graphAll } from '../graph';
import type { Assignment } from '../types';
import { useLoad } from '../useLoad';

/**
 * Access the person had and lost (My Access's Expired tab): their ended assignments, newest end first, each with a
 * link to request the package again. Graph's assignments filterByCurrentUser(on='target') lists ended ones too.
 */
export function ExpiredAccess() {
  const [load] = useLoad(async () => {
    const all = await graphAll<Assignment>(`${EM}/assignments/filterByCurrentUser(on='target')?$expand=accessPackage`);
    const active = new Set(all.filter((a) => a.state !== 'expired').map((a) => a.accessPackage?.id));
    // A package held again since is active access, not expired.
    return all
      .filter((a) => a.state === 'expired' && !active.has(a.accessPackage?.id))
      .sort((a, b) => (b.expiredDateTime ?? '').localeCompare(a.expiredDateTime ?? ''));
  }, []);
  return (
    <section aria-labelledby="expired-title">
      <h1 id="expired-title">Expired access</h1>
      <AccessTabs current="/access/expired" />
      <Loaded load={load} what="your expired access">
        {(assignments) =>
          assignments.length === 0 ? (
            <Empty>None of your access has expired.</Empty>
          ) : (
            <ul class="cards" aria-label="Your expired access">
              {assignments.map((a) => {
                const name = a.accessPackage?.displayName ?? 'Access package';
                return (
                  <li class="card" key={a.id}>
                    <h2>{name}</h2>
                    <dl class="facts">
                      <dt>Had since</dt>
                      <dd>{formatDate(a.schedule?.startDateTime)}</dd>
                      <dt>Ended</dt>
                      <dd>{formatDate(a.expiredDateTime)}</dd>
                    </dl>
                    {a.accessPackage && (
                      <div class="actions">
                        <a class="button" href={`#/access-packages/${a.accessPackage.id}`} aria-label={`Request again: ${name}`}>
                          Request again
                        </a>
                      </div>
                    )}
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
