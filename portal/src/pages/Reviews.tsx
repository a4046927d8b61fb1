import { useState } from 'preact/hooks';
import { Empty, ErrorMessage, Loaded, Notice } from '../components';
import { formatDate } from '../format';
import { AR, graph, graphAll } from '../graph';
import { useLoad } from '../useLoad';

interface ReviewItem {
  id: string;
  accessReviewId: string;
  decision: string;
  recommendation: string;
  justification: string | null;
  reviewedDateTime: string | null;
  principal: { id: string; displayName: string | null; userPrincipalName: string | null };
  resource: { id: string; displayName: string | null; accessPackageDisplayName: string | null };
}

interface Review {
  instanceId: string;
  definitionId: string;
  title: string;
  items: ReviewItem[];
}

const DECISIONS = [
  { value: 'Approve', label: 'Approve' },
  { value: 'Deny', label: 'Deny' },
  { value: 'DontKnow', label: "Don't know" },
] as const;

const WORDS: Record<string, string> = { Approve: 'Approved', Deny: 'Denied', DontKnow: "Don't know", NotReviewed: 'Not reviewed', NotAvailable: 'No recommendation', NoInfoAvailable: 'No recommendation' };

/** Access reviews waiting for the person: each person's access with the recommendation, decided one by one or all as recommended. */
export function Reviews() {
  const [load, reload] = useLoad(async () => {
    const items = await graphAll<ReviewItem>(`${AR}/decisions/filterByCurrentUser(on='reviewer')`);
    const reviews = new Map<string, Review>();
    for (const item of items) {
      const review = reviews.get(item.accessReviewId) ?? {
        instanceId: item.accessReviewId,
        definitionId: item.resource.id,
        title: `${item.resource.accessPackageDisplayName ?? 'Access package'}${item.resource.displayName ? ` (${item.resource.displayName})` : ''}`,
        items: [],
      };
      review.items.push(item);
      reviews.set(item.accessReviewId, review);
    }
    return [...reviews.values()];
  }, []);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await work();
      setMessage({ kind: 'ok', text: done });
      reload();
    } catch (error) {
      setMessage({ kind: 'error', text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const instancePath = (review: Review) => `${AR}/definitions/${review.definitionId}/instances/${review.instanceId}`;

  return (
    <section aria-labelledby="reviews-title">
      <h1 id="reviews-title">Access reviews</h1>
      {message && (message.kind === 'ok' ? <Notice>{message.text}</Notice> : <ErrorMessage message={message.text} />)}
      <Loaded load={load} what="your access reviews">
        {(reviews) =>
          reviews.length === 0 ? (
            <Empty>No access reviews are waiting for you.</Empty>
          ) : (
            reviews.map((review) => {
              const open = review.items.filter((i) => i.decision === 'NotReviewed').length;
              return (
                <article class="review" key={review.instanceId} aria-labelledby={`review-${review.instanceId}`}>
                  <h2 id={`review-${review.instanceId}`}>Review of {review.title}</h2>
                  <p class="hint">
                    {open} of {review.items.length} still to review
                  </p>
                  <div class="actions">
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => run(() => graph(`${instancePath(review)}/acceptRecommendations`, { method: 'POST' }), `The recommendations of the review of ${review.title} were accepted.`)}
                    >
                      Accept recommendations
                    </button>
                  </div>
                  <ul class="cards" aria-label={`People in the review of ${review.title}`}>
                    {review.items.map((item) => {
                      const who = item.principal.displayName ?? item.principal.userPrincipalName ?? item.principal.id;
                      const reasonId = `review-reason-${item.id}`;
                      return (
                        <li class="card" key={item.id}>
                          <h3>{who}</h3>
                          <dl class="facts">
                            <dt>User</dt>
                            <dd>{item.principal.userPrincipalName ?? '—'}</dd>
                            <dt>Recommendation</dt>
                            <dd>{WORDS[item.recommendation] ?? item.recommendation}</dd>
                            <dt>Decision</dt>
                            <dd>
                              {WORDS[item.decision] ?? item.decision}
                              {item.reviewedDateTime ? ` on ${formatDate(item.reviewedDateTime)}` : ''}
                              {item.justification ? ` — ${item.justification}` : ''}
                            </dd>
                          </dl>
                          <label for={reasonId}>Reason</label>
                          <textarea id={reasonId} rows={2} value={reasons[item.id] ?? ''} onInput={(e) => setReasons({ ...reasons, [item.id]: e.currentTarget.value })} />
                          <div class="actions">
                            {DECISIONS.map((d) => (
                              <button
                                type="button"
                                key={d.value}
                                class={d.value === 'Approve' ? 'primary' : undefined}
                                disabled={busy}
                                aria-label={`${d.label} for ${who}`}
                                onClick={() =>
                                  run(
                                    () =>
                                      graph(`${instancePath(review)}/decisions/${item.id}`, {
                                        method: 'PATCH',
                                        body: { decision: d.value, ...(reasons[item.id]?.trim() ? { justification: reasons[item.id]!.trim() } : {}) },
                                      }),
                                    `${who}: ${WORDS[d.value === 'DontKnow' ? 'DontKnow' : d.value]}.`,
                                  )
                                }
                              >
                                {d.label}
                              </button>
                            ))}
                          </div>
                        </li>
                      );
                    })}
                  </ul>
                </article>
              );
            })
          )
        }
      </Loaded>
    </section>
  );
}
