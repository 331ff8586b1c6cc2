import Link from 'next/link';

/** What a missing page says, inside the panel or out of it. */
export function NotFoundMessage({ signedIn }: { signedIn: boolean }) {
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>There is nothing at this address: the link may be old, or the run or company may not exist.</p>
      <p>
        {signedIn ? (
          <>
            <Link href="/">Go to the overview</Link> or pick a page above.
          </>
        ) : (
          <Link href="/login">Sign in</Link>
        )}
      </p>
    </section>
  );
}
