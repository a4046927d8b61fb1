import { useState } from 'preact/hooks';
import { Empty, ErrorMessage, Loaded, Notice } from '../components';
import { describeEnd, describeRequestType, describeState, formatDate } from '../format';
import { EM, graph, graphAll } from '../graph';
import type { AssignmentRequest } from '../types';
import { useLoad } from '../useLoad';

const CANCELABLE = new Set(['submitted', 'pendingApproval']);
const RESUBMITTABLE = new Set(['denied', 'canceled']);

/** The person's requests, newest first, with cancel while pending and resubmit after denial. */
export function Requests() {
  const [load, reload] = useLoad(
    async () =>
      (await graphAll<AssignmentRequest>(`${EM}/assignmentRequests/filterByCurrentUser(on='target')?$expand=accessPackage`)).sort((a, b) =>
        b.createdDateTime.localeCompare(a.createdDateTime),
      ),
    [],
  );
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();

  const cancel = async (request: AssignmentRequest) => {
    setMessage(undefined);
    try {
      await graph(`${EM}/assignmentRequests/${request.id}/cancel`, { method: 'POST' });
      setMessage({ kind: 'ok', text: `Your request for ${request.accessPackage?.displayName ?? 'the access package'} was canceled.` });
      reload();
    } catch (error) {
      setMessage({ kind: 'error', text: (error as Error).message });
    }
  };

  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">Request history</h1>
      {message && (message.kind === 'ok' ? <Notice>{message.text}</Notice> : <ErrorMessage message={message.text} />)}
      <Loaded load={load} what="your requests">
        {(requests) =>
          requests.length === 0 ? (
            <Empty>You have not requested anything yet.</Empty>
          ) : (
            <ul class="cards" aria-label="Your requests">
              {requests.map((r) => (
                <li class="card" key={r.id}>
                  <h2>{r.accessPackage?.displayName ?? 'Access package'}</h2>
                  <dl class="facts">
                    <dt>Type</dt>
                    <dd>{describeRequestType(r.requestType)}</dd>
                    <dt>Status</dt>
                    <dd>
                      <span class={`badge state-${r.state}`}>{describeState(r.state)}</span>
                    </dd>
                    <dt>Submitted</dt>
                    <dd>{formatDate(r.createdDateTime)}</dd>
                    <dt>Access</dt>
                    <dd>{describeEnd(r.schedule?.expiration)}</dd>
                    {r.justification && (
                      <>
                        <dt>Justification</dt>
                        <dd>{r.justification}</dd>
                      </>
                    )}
                    {r.answers.map((a) => (
                      <>
                        <dt>Answer</dt>
                        <dd>{a.displayValue ?? a.value}</dd>
                      </>
                    ))}
                  </dl>
                  <div class="actions">
                    {CANCELABLE.has(r.state) && (
                      <button type="button" onClick={() => cancel(r)} aria-label={`Cancel request for ${r.accessPackage?.displayName ?? 'access package'}`}>
                        Cancel request
                      </button>
                    )}
                    {RESUBMITTABLE.has(r.state) && r.requestType === 'userAdd' && r.accessPackage && (
                      <a class="button" href={`#/access-packages/${r.accessPackage.id}`} aria-label={`Resubmit request for ${r.accessPackage.displayName}`}>
                        Resubmit
                      </a>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
