import type { ComponentChildren } from 'preact';
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
