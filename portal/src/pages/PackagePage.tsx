import { useState } from 'preact/hooks';
import { ErrorMessage, Loaded } from '../components';
import { EM, graph, type Collection } from '../graph';
import type { AccessPackage, DirectReport, Requirements } from '../types';
import { useLoad } from '../useLoad';
import { RequestForm } from './RequestForm';

/**
 * One package, reached from the list or by its link (also a hidden one), with the form to request it. A manager
 * chooses first whom the request is for (My Access's "Request details"): themselves or one of their direct reports.
 */
export function PackagePage({ id }: { id: string }) {
  const [load] = useLoad(async () => {
    const [accessPackage, reports] = await Promise.all([
      graph<AccessPackage>(`${EM}/accessPackages/${encodeURIComponent(id)}`),
      graph<Collection<DirectReport>>('/api/myAccess/directReports'),
    ]);
    return { accessPackage, reports: reports.value };
  }, [id]);
  const [forId, setForId] = useState('');
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
      {({ accessPackage, reports }) => {
        const target = reports.find((r) => r.id === forId);
        return (
          <section aria-labelledby="package-title">
            <p>
              <a href="#/">← All access packages</a>
            </p>
            <h1 id="package-title">{accessPackage.displayName}</h1>
            <p class="lead">{accessPackage.description || 'No description.'}</p>
            {reports.length > 0 && (
              <div class="field">
                <label for="request-for">Request for</label>
                <select id="request-for" value={forId} onChange={(e) => setForId(e.currentTarget.value)}>
                  <option value="">Myself</option>
                  {reports.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.displayName ?? r.userPrincipalName ?? r.id} (direct report)
                    </option>
                  ))}
                </select>
              </div>
            )}
            <Requirements accessPackage={accessPackage} target={target} key={forId} />
          </section>
        );
      }}
    </Loaded>
  );
}

/** The form for the person the request is for, from the policies that let the signed-in person ask for them. */
function Requirements({ accessPackage, target }: { accessPackage: AccessPackage; target: DirectReport | undefined }) {
  const [load] = useLoad(
    async () =>
      (
        await graph<Collection<Requirements>>(`${EM}/accessPackages/${encodeURIComponent(accessPackage.id)}/getApplicablePolicyRequirements`, {
          method: 'POST',
          body: target ? { subject: { objectId: target.id } } : {},
        })
      ).value,
    [accessPackage.id, target?.id],
  );
  return (
    <Loaded load={load} what="what the request needs">
      {(requirements) =>
        requirements.length === 0 ? (
          <p class="empty">
            {target
              ? `No policy of this access package lets you request it for ${target.displayName ?? 'them'}.`
              : 'No policy of this access package lets you request it. Ask its owner if you need it.'}
          </p>
        ) : (
          <RequestForm accessPackage={accessPackage} requirements={requirements} target={target} />
        )
      }
    </Loaded>
  );
}
