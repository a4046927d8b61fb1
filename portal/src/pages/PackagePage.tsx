import { ErrorMessage, Loaded } from '../components';
import { EM, graph, type Collection } from '../graph';
import type { AccessPackage, Requirements } from '../types';
import { useLoad } from '../useLoad';
import { RequestForm } from './RequestForm';

/** One package, reached from the list or by its link (also a hidden one), with the form to request it. */
export function PackagePage({ id }: { id: string }) {
  const [load] = useLoad(async () => {
    const path = `${EM}/accessPackages/${encodeURIComponent(id)}`;
    const [accessPackage, requirements] = await Promise.all([
      graph<AccessPackage>(path),
      graph<Collection<Requirements>>(`${path}/getApplicablePolicyRequirements`, { method: 'POST', body: {} }),
    ]);
    return { accessPackage, requirements: requirements.value };
  }, [id]);
  if (load.status === 'error') {
    // A package the person may not request is as good as missing to them; the page still says where they are.
    return (
      <section aria-labelledby="package-title">
        <p>
          <a href="#/">← All access packages</a>
        </p>
        <h1 id="package-title">Access package</h1>
        <ErrorMessage message={load.message} />
      </section>
    );
  }
  return (
    <Loaded load={load} what="the access package">
      {({ accessPackage, requirements }) => (
        <section aria-labelledby="package-title">
          <p>
            <a href="#/">← All access packages</a>
          </p>
          <h1 id="package-title">{accessPackage.displayName}</h1>
          <p class="lead">{accessPackage.description || 'No description.'}</p>
          {requirements.length === 0 ? (
            <p class="empty">No policy of this access package lets you request it. Ask its owner if you need it.</p>
          ) : (
            <RequestForm accessPackage={accessPackage} requirements={requirements} />
          )}
        </section>
      )}
    </Loaded>
  );
}
