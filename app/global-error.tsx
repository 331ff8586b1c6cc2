'use client';
import './globals.css';

import { ErrorPanel } from '@/components/layout/ErrorPanel';

// The root layout itself failed: this replaces it, so it brings its own document and styles.
export default function GlobalError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <html lang="en">
      <body>
        <title>stockflow: something went wrong</title>
        <main className="login">
          <div className="login-card">
            <ErrorPanel error={error} retry={retry} />
            {/* A full page load, not client navigation: the root layout is what broke. */}
            <p>
              {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
              <a href="/">Back to the overview</a>
            </p>
          </div>
        </main>
      </body>
    </html>
  );
}
