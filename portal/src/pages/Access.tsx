import { useState } from 'preact/hooks';
import { AccessTabs, Empty, ErrorMessage, Loaded, Notice } from '../components';
import { describeEnd, describeState, formatDate } from '../format';
import { EM, graph, graphAll } from '../graph';
import type { Assignment } from '../types';
import { useLoad } from '../useLoad';

const ACTIVE = new Set(['delivering', 'delivered', 'partiallyDelivered', 'deliveryFailed', 'scheduled']);

/** What the person has now, with end dates; extend where the policy lets them, remove their own. */
export function Access() {
  const [load, reload] = useLoad(
    async () =>
      (await graphAll<Assignment>(`${EM}/assignments/filterByCurrentUser(on='target')?$expand=accessPackage,assignmentPolicy`)).filter((a) => ACTIVE.has(a.state)),
    [],
  );
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [extending, setExtending] = useState<string>();
  const [reason, setReason] = useState('');

  const act = async (assignment: Assignment, requestType: 'userUpdate' | 'userRemove', done: string) => {
    setMessage(undefined);
    try {
      await graph(`${EM}/assignmentRequests`, {
        method: 'POST',
        body: {
          requestType,
          assignment: { id: assignment.id, accessPackageId: assignment.accessPackage?.id },
          ...(requestType === 'userUpdate' && reason.trim() ? { justification: reason.trim() } : {}),
        },
      });
      setMessage({ kind: 'ok', text: done });
      setExtending(undefined);
      setReason('');
      reload();
    } catch (error) {
      setMessage({ kind: 'error', text: (error as Error).message });
    }
  };

  return (
    <section aria-labelledby="access-title">
      <h1 id="access-title">Active access</h1>
      <AccessTabs current="/access" />
      {message && (message.kind === 'ok' ? <Notice>{message.text}</Notice> : <ErrorMessage message={message.text} />)}
      <Loaded load={load} what="your access">
        {(assignments) =>
          assignments.length === 0 ? (
            <Empty>You have no access through access packages yet.</Empty>
          ) : (
            <ul class="cards" aria-label="Your access">
              {assignments.map((a) => {
                const name = a.accessPackage?.displayName ?? 'Access package';
                const settings = a.assignmentPolicy?.requestorSettings;
                return (
                  <li class="card" key={a.id}>
                    <h2>{name}</h2>
                    <dl class="facts">
                      <dt>Status</dt>
                      <dd>
                        <span class={`badge state-${a.state}`}>{describeState(a.state)}</span>
                      </dd>
                      <dt>Since</dt>
                      <dd>{formatDate(a.schedule?.startDateTime)}</dd>
                      <dt>Ends</dt>
                      <dd>{describeEnd(a.schedule?.expiration)}</dd>
                    </dl>
                    {extending === a.id ? (
                      <form
                        class="inline-form"
                        onSubmit={(e) => {
                          e.preventDefault();
                          void act(a, 'userUpdate', `You asked to extend ${name}.`);
                        }}
                      >
                        <label for={`extend-${a.id}`}>Why do you need it longer?</label>
                        <textarea id={`extend-${a.id}`} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
                        <div class="actions">
                          <button type="submit" class="primary">
                            Request extension
                          </button>
                          <button type="button" onClick={() => setExtending(undefined)}>
                            Back
                          </button>
                        </div>
                      </form>
                    ) : (
                      <div class="actions">
                        {settings?.enableTargetsToSelfUpdateAccess && a.schedule?.expiration?.type !== 'noExpiration' && (
                          <button type="button" onClick={() => setExtending(a.id)} aria-label={`Extend ${name}`}>
                            Extend
                          </button>
                        )}
                        {settings?.enableTargetsToSelfRemoveAccess && (
                          <button type="button" onClick={() => act(a, 'userRemove', `You asked to remove ${name}.`)} aria-label={`Remove ${name}`}>
                            Remove
                          </button>
                        )}
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
