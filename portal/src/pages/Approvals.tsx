import { useState } from 'preact/hooks';
import { AnswerFacts, ApprovalTabs, Empty, ErrorMessage, Loaded, Notice } from '../components';
import { describeEnd, formatDate } from '../format';
import { EM, graph, graphAll } from '../graph';
import type { Approval, ApprovalStage, AssignmentRequest } from '../types';
import { useLoad } from '../useLoad';

interface Pending {
  request: AssignmentRequest;
  stage: ApprovalStage;
  stageNumber: number;
}

/** Requests waiting for the person's decision, one by one or several at once (which My Access itself cannot). */
export function Approvals() {
  const [load, reload] = useLoad(async () => {
    const [requests, approvals] = await Promise.all([
      graphAll<AssignmentRequest>(`${EM}/assignmentRequests/filterByCurrentUser(on='approver')?$expand=accessPackage,requestor`),
      graphAll<Approval>(`${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`),
    ]);
    const stages = new Map(approvals.map((a) => [a.id, a.stages]));
    return requests.flatMap((request): Pending[] => {
      const all = stages.get(request.id) ?? [];
      const index = all.findIndex((s) => s.status === 'InProgress' && s.assignedToMe);
      return index < 0 ? [] : [{ request, stage: all[index]!, stageNumber: index + 1 }];
    });
  }, []);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [bulkReason, setBulkReason] = useState('');
  const [messages, setMessages] = useState<Array<{ kind: 'ok' | 'error'; text: string }>>([]);
  const [busy, setBusy] = useState(false);

  const decide = async (items: Pending[], result: 'Approve' | 'Deny', reasonOf: (p: Pending) => string) => {
    setBusy(true);
    const outcomes = await Promise.all(
      items.map(async (p) => {
        const who = p.request.requestor?.displayName ?? 'the requestor';
        const what = p.request.accessPackage?.displayName ?? 'the access package';
        try {
          const reason = reasonOf(p).trim();
          await graph(`${EM}/accessPackageAssignmentApprovals/${p.request.id}/stages/${p.stage.id}`, {
            method: 'PATCH',
            body: { reviewResult: result, ...(reason ? { justification: reason } : {}) },
          });
          return { kind: 'ok' as const, text: `${result === 'Approve' ? 'Approved' : 'Denied'}: ${who}'s request for ${what}.` };
        } catch (error) {
          return { kind: 'error' as const, text: `${who}'s request for ${what}: ${(error as Error).message}` };
        }
      }),
    );
    setMessages(outcomes);
    setSelected(new Set());
    setBusy(false);
    reload();
  };

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <ApprovalTabs current="/approvals" />
      {messages.map((m, i) => (m.kind === 'ok' ? <Notice key={i}>{m.text}</Notice> : <ErrorMessage key={i} message={m.text} />))}
      <Loaded load={load} what="requests waiting for you">
        {(pending) => {
          if (pending.length === 0) return <Empty>No requests are waiting for your decision.</Empty>;
          const chosen = pending.filter((p) => selected.has(p.request.id));
          const toggle = (id: string, on: boolean) => {
            const next = new Set(selected);
            if (on) next.add(id);
            else next.delete(id);
            setSelected(next);
          };
          return (
            <>
              <div class="bulk" role="group" aria-label="Decide several requests">
                <label class="choice">
                  <input type="checkbox" checked={chosen.length === pending.length} onChange={(e) => setSelected(e.currentTarget.checked ? new Set(pending.map((p) => p.request.id)) : new Set())} />
                  <span>Select all ({pending.length})</span>
                </label>
                <label for="bulk-reason">Reason for the selected requests</label>
                <textarea id="bulk-reason" rows={2} value={bulkReason} onInput={(e) => setBulkReason(e.currentTarget.value)} />
                <div class="actions">
                  <button type="button" class="primary" disabled={busy || chosen.length === 0} onClick={() => decide(chosen, 'Approve', () => bulkReason)}>
                    Approve selected ({chosen.length})
                  </button>
                  <button type="button" disabled={busy || chosen.length === 0} onClick={() => decide(chosen, 'Deny', () => bulkReason)}>
                    Deny selected ({chosen.length})
                  </button>
                </div>
              </div>
              <ul class="cards" aria-label="Requests waiting for your decision">
                {pending.map((p) => {
                  const r = p.request;
                  const who = r.requestor?.displayName ?? r.requestor?.principalName ?? 'Someone';
                  const what = r.accessPackage?.displayName ?? 'an access package';
                  const reasonId = `reason-${r.id}`;
                  return (
                    <li class="card" key={r.id}>
                      <label class="choice">
                        <input type="checkbox" checked={selected.has(r.id)} onChange={(e) => toggle(r.id, e.currentTarget.checked)} />
                        <span>
                          Select {who}'s request for {what}
                        </span>
                      </label>
                      <h2>
                        {who} requests {what}
                      </h2>
                      <dl class="facts">
                        <dt>Requestor</dt>
                        <dd>
                          {who}
                          {r.requestor?.email ? ` (${r.requestor.email})` : ''}
                        </dd>
                        <dt>Stage</dt>
                        <dd>{p.stage.displayName ?? `Stage ${p.stageNumber}`}</dd>
                        <dt>Submitted</dt>
                        <dd>{formatDate(r.createdDateTime)}</dd>
                        <dt>Expires</dt>
                        <dd>{formatDate(p.stage['@portcullis.expirationDateTime'])}</dd>
                        {p.stage['@portcullis.escalationDateTime'] && (
                          <>
                            <dt>Escalates</dt>
                            <dd>{formatDate(p.stage['@portcullis.escalationDateTime'])}</dd>
                          </>
                        )}
                        <dt>Access asked for</dt>
                        <dd>
                          From {formatDate(r.schedule?.startDateTime)} · {describeEnd(r.schedule?.expiration)}
                        </dd>
                        <dt>Justification</dt>
                        <dd>{r.justification || '—'}</dd>
                        <AnswerFacts answers={r.answers} />
                      </dl>
                      <label for={reasonId}>Reason</label>
                      <textarea id={reasonId} rows={2} value={reasons[r.id] ?? ''} onInput={(e) => setReasons({ ...reasons, [r.id]: e.currentTarget.value })} />
                      <div class="actions">
                        <button type="button" class="primary" disabled={busy} onClick={() => decide([p], 'Approve', () => reasons[r.id] ?? '')} aria-label={`Approve ${who}'s request for ${what}`}>
                          Approve
                        </button>
                        <button type="button" disabled={busy} onClick={() => decide([p], 'Deny', () => reasons[r.id] ?? '')} aria-label={`Deny ${who}'s request for ${what}`}>
                          Deny
                        </button>
                      </div>
                    </li>
                  );
                })}
              </ul>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
