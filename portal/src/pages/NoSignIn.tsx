/**
 * Shown instead of every page when the service can sign nobody in through this page (AUTH_MODE=jwt): the pages
 * would only show one 401 after another.
 */
export function NoSignIn({ reason }: { reason: string }) {
  return (
    <section aria-labelledby="no-signin-title">
      <h1 id="no-signin-title">My Access has no sign-in here</h1>
      <p class="lead">{reason}</p>
    </section>
  );
}
