import { useRef, useState } from 'preact/hooks';
import { ErrorMessage, Notice } from '../components';
import { describeEnd } from '../format';
import { EM, graph } from '../graph';
import type { AccessPackage, AssignmentRequest, DirectReport, Question, Requirements } from '../types';

type Errors = Record<string, string>;

const isChoice = (q: Question) => q['@odata.type'].endsWith('MultipleChoiceQuestion');

/**
 * The request form the package's applicable policies ask for: the policy when several apply, the justification,
 * the questions, and a specific period where the policy allows one. What is required is checked here first, so a
 * request that would be refused is never sent. With `target`, the request is for that direct report (a userAdd
 * naming them, Graph's create page, Example 9).
 */
export function RequestForm({ accessPackage, requirements, target }: { accessPackage: AccessPackage; requirements: Requirements[]; target?: DirectReport | undefined }) {
  const [policyId, setPolicyId] = useState(requirements[0]!.policyId);
  const policy = requirements.find((r) => r.policyId === policyId) ?? requirements[0]!;
  const [justification, setJustification] = useState('');
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [specificPeriod, setSpecificPeriod] = useState(false);
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string>();
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<AssignmentRequest>();
  const form = useRef<HTMLFormElement>(null);

  const validate = (): Errors => {
    const found: Errors = {};
    if (policy.isRequestorJustificationRequired && !justification.trim()) found.justification = 'Enter a business justification.';
    for (const question of policy.questions) {
      if (question.isRequired && !answers[question.id]?.trim()) found[`q-${question.id}`] = `Answer “${question.text}”.`;
    }
    if (specificPeriod) {
      if (!start) found.start = 'Enter a start date.';
      if (end && start && end < start) found.end = 'The end date must come after the start date.';
    }
    return found;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(undefined);
    const found = validate();
    setErrors(found);
    if (Object.keys(found).length > 0) {
      // Focus the first field in error, so keyboard and screen reader users land on it.
      queueMicrotask(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setSending(true);
    try {
      const body: Record<string, unknown> = {
        requestType: 'userAdd',
        assignment: { accessPackageId: accessPackage.id, assignmentPolicyId: policy.policyId, ...(target ? { targetId: target.id } : {}) },
        ...(justification.trim() ? { justification: justification.trim() } : {}),
        answers: policy.questions
          .filter((q) => answers[q.id]?.trim())
          .map((q) => ({ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: answers[q.id]!.trim(), answeredQuestion: { id: q.id } })),
      };
      if (specificPeriod) {
        body.schedule = {
          startDateTime: new Date(`${start}T00:00:00`).toISOString(),
          expiration: end ? { type: 'afterDateTime', endDateTime: new Date(`${end}T23:59:59`).toISOString() } : { type: 'noExpiration' },
        };
      }
      setSent(await graph<AssignmentRequest>(`${EM}/assignmentRequests`, { method: 'POST', body }));
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setSending(false);
    }
  };

  if (sent) {
    return (
      <Notice>
        Your request for {accessPackage.displayName}
        {target ? ` for ${target.displayName ?? 'your direct report'}` : ''} was submitted
        {policy.isApprovalRequiredForAdd ? ' and waits for approval' : ''}. Follow it in <a href="#/requests">Request history</a>.
      </Notice>
    );
  }

  const field = (name: string) => ({ 'aria-invalid': errors[name] ? ('true' as const) : undefined, 'aria-describedby': errors[name] ? `${name}-error` : undefined });
  const fieldError = (name: string) =>
    errors[name] ? (
      <p class="field-error" id={`${name}-error`}>
        {errors[name]}
      </p>
    ) : null;

  return (
    <form ref={form} class="request-form" onSubmit={submit} noValidate aria-labelledby="request-title">
      <h2 id="request-title">Request access</h2>
      {Object.keys(errors).length > 0 && <ErrorMessage message="Some answers are missing. Correct the fields marked below." />}
      {requirements.length > 1 && (
        <fieldset>
          <legend>Select a policy</legend>
          {requirements.map((r) => (
            <label class="choice" key={r.policyId}>
              <input type="radio" name="policy" value={r.policyId} checked={r.policyId === policy.policyId} onChange={() => setPolicyId(r.policyId)} />
              <span>
                <strong>{r.policyDisplayName}</strong>
                {r.policyDescription ? ` — ${r.policyDescription}` : ''}
              </span>
            </label>
          ))}
        </fieldset>
      )}
      <p class="hint">
        {policy.isApprovalRequiredForAdd ? 'Requires approval.' : 'No approval needed.'} Access: {describeEnd(policy.schedule?.expiration)}.
      </p>
      <div class="field">
        <label for="justification">
          Business justification{policy.isRequestorJustificationRequired ? ' (required)' : ' (optional)'}
        </label>
        <textarea id="justification" rows={3} value={justification} onInput={(e) => setJustification(e.currentTarget.value)} {...field('justification')} />
        {fieldError('justification')}
      </div>
      {policy.questions.map((q) => {
        const name = `q-${q.id}`;
        const label = `${q.text}${q.isRequired ? ' (required)' : ' (optional)'}`;
        return (
          <div class="field" key={q.id}>
            <label for={name}>{label}</label>
            {isChoice(q) ? (
              <select id={name} value={answers[q.id] ?? ''} onChange={(e) => setAnswers({ ...answers, [q.id]: e.currentTarget.value })} {...field(name)}>
                <option value="">Choose…</option>
                {(q.choices ?? []).map((c) => (
                  <option key={c.actualValue} value={c.actualValue}>
                    {c.text}
                  </option>
                ))}
              </select>
            ) : q.isSingleLineQuestion === false ? (
              <textarea id={name} rows={3} value={answers[q.id] ?? ''} onInput={(e) => setAnswers({ ...answers, [q.id]: e.currentTarget.value })} {...field(name)} />
            ) : (
              <input id={name} type="text" value={answers[q.id] ?? ''} onInput={(e) => setAnswers({ ...answers, [q.id]: e.currentTarget.value })} {...field(name)} />
            )}
            {fieldError(name)}
          </div>
        );
      })}
      {policy.allowCustomAssignmentSchedule && (
        <fieldset>
          <legend>Period</legend>
          <label class="choice">
            <input type="checkbox" checked={specificPeriod} onChange={(e) => setSpecificPeriod(e.currentTarget.checked)} />
            <span>Request for a specific period</span>
          </label>
          {specificPeriod && (
            <div class="dates">
              <div class="field">
                <label for="start">Start date</label>
                <input id="start" type="date" value={start} onInput={(e) => setStart(e.currentTarget.value)} {...field('start')} />
                {fieldError('start')}
              </div>
              <div class="field">
                <label for="end">End date (optional)</label>
                <input id="end" type="date" value={end} onInput={(e) => setEnd(e.currentTarget.value)} {...field('end')} />
                {fieldError('end')}
              </div>
            </div>
          )}
        </fieldset>
      )}
      {failure && <ErrorMessage message={failure} />}
      <div class="actions">
        <button type="submit" class="primary" disabled={sending}>
          {sending ? 'Submitting…' : 'Submit request'}
        </button>
      </div>
    </form>
  );
}
