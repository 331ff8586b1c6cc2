'use client';

/**
 * What a failed page shows: a generic sentence (never the error's own text, which may name tables or
 * hosts), the reference that finds the full error in the server log, and a way to try again.
 */
export function ErrorPanel({ error, retry }: { error: unknown; retry: () => void }) {
  // Next gives server errors a digest (and logs it beside the real message); client errors have none.
  const digest = error instanceof Error && 'digest' in error && typeof error.digest === 'string' ? error.digest : null;
  return (
    <section role="alert" aria-labelledby="error-title">
      <h1 id="error-title">Something went wrong</h1>
      <p>{digest ? 'The server could not build this page.' : 'This page stopped working in your browser.'} Trying again often helps when the cause was brief.</p>
      {digest && (
        <p className="muted">
          Reference <code data-testid="error-reference">{digest}</code>: the details are in the server log.
        </p>
      )}
      <button type="button" className="primary" onClick={() => retry()}>
        Try again
      </button>
    </section>
  );
}
