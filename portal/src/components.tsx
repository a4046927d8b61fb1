import type { ComponentChildren } from 'preact';
import type { Answer } from './types';
import type { Load } from './useLoad';

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorMessage({ message }: { message: string }) {
  return (
    <div class="message error" role="alert">
      {message}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="message success" role="status">
      {children}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Shows loading or the error of a load, else its content. */
export function Loaded<T>({ load, what, children }: { load: Load<T>; what: string; children: (value: T) => ComponentChildren }) {
  if (load.status === 'loading') return <Loading what={what} />;
  if (load.status === 'error') return <ErrorMessage message={load.message} />;
  return <>{children(load.value)}</>;
}

/** A request's answers, each under its question (as a `<dl>` fragment); "Answer" where the question has gone. */
export function AnswerFacts({ answers }: { answers: Answer[] }) {
  return (
    <>
      {answers.map((a) => (
        <>
          <dt>{a.answeredQuestion.text ?? 'Answer'}</dt>
          <dd>{a.displayValue ?? a.value}</dd>
        </>
      ))}
    </>
  );
}

/** A page's views, as My Access shows them in tabs (Approvals: Pending and History; Active and Expired access). */
export function ViewTabs({ label, views, current }: { label: string; views: Array<{ route: string; name: string }>; current: string }) {
  return (
    <nav aria-label={label}>
      <ul class="tabs">
        {views.map((view) => (
          <li key={view.route}>
            <a href={`#${view.route}`} aria-current={view.route === current ? 'page' : undefined}>
              {view.name}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const APPROVAL_VIEWS = [
  { route: '/approvals', name: 'Pending' },
  { route: '/approvals/history', name: 'History' },
];
export const ApprovalTabs = ({ current }: { current: string }) => <ViewTabs label="Approvals views" views={APPROVAL_VIEWS} current={current} />;

const ACCESS_VIEWS = [
  { route: '/access', name: 'Active' },
  { route: '/access/expired', name: 'Expired' },
];
export const AccessTabs = ({ current }: { current: string }) => <ViewTabs label="Access views" views={ACCESS_VIEWS} current={current} />;

const PACKAGE_VIEWS = [
  { route: '/', name: 'Available' },
  { route: '/suggested', name: 'Suggested' },
];
export const PackageTabs = ({ current }: { current: string }) => <ViewTabs label="Access package views" views={PACKAGE_VIEWS} current={current} />;
