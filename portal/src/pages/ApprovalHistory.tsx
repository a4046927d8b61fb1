import { AnswerFacts, ApprovalTabs, Empty, Loaded } from '../components';
import { describeState, formatDate } from '../format';
import { EM, graph, graphAll } from '../graph';
import type { Approval, ApprovalStage, AssignmentRequest } from '../types';
import { useLoad } from '../useLoad';

interface Decided {
  request: AssignmentRequest;
  stages: Array<{ stage: ApprovalStage; number: number }>;
}

/**
 * What the person decided (My Access's Approvals > History): the approvals they are an approver of whose stages of
 * theirs are decided, each with the request it belongs to, the decision, who made it, when and why.
 */
export function ApprovalHistory() {
  const [load] = useLoad(async () => {
    const approvals = await graphAll<Approval>(`${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`);
    const decided = approvals.flatMap((a) => {
      const stages = a.stages.flatMap((stage, index) => (stage.assignedToMe && stage.reviewResult !== 'NotReviewed' ? [{ stage, number: index + 1 }] : []));
      return stages.length > 0 ? [{ id: a.id, stages }] : [];
    });
    return Promise.all(
      decided.map(async ({ id, stages }): Promise<Decided> => ({ request: await graph<AssignmentRequest>(`${EM}/assignmentRequests/${id}?$expand=accessPackage,requestor`), stages })),
    );
  }, []);

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <ApprovalTabs current="/approvals/history" />
      <Loaded load={load} what="the requests you decided">
        {(decided) =>
          decided.length === 0 ? (
            <Empty>You have not decided any request yet.</Empty>
          ) : (
            <ul class="cards" aria-label="Requests you decided">
              {decided.map(({ request: r, stages }) => {
                const who = r.requestor?.displayName ?? r.requestor?.principalName ?? 'Someone';
                const what = r.accessPackage?.displayName ?? 'an access package';
                return (
                  <li class="card" key={r.id}>
                    <h2>
                      {who} requested {what}
                    </h2>
                    <dl class="facts">
                      <dt>Request status</dt>
                      <dd>
                        <span class={`badge state-${r.state}`}>{describeState(r.state)}</span>
                      </dd>
                      <dt>Submitted</dt>
                      <dd>{formatDate(r.createdDateTime)}</dd>
                      <dt>Justification</dt>
                      <dd>{r.justification || '—'}</dd>
                      <AnswerFacts answers={r.answers} />
                      {stages.map(({ stage, number }) => (
                        <>
                          <dt>{stage.displayName ?? `Stage ${number}`}</dt>
                          <dd>
                            {stage.reviewResult} by {stage.reviewedBy?.displayName ?? 'an approver'} on {formatDate(stage.reviewedDateTime)}
                            {stage.justification ? `: ${stage.justification}` : ''}
                          </dd>
                        </>
                      ))}
                    </dl>
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
