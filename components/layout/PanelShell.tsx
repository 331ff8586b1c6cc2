import Link from 'next/link';
import type { ReactNode } from 'react';

import { signOut } from '@/app/login/actions';
import { Nav } from '@/components/layout/Nav';
import { Providers } from '@/components/layout/Providers';
import type { SessionUser } from '@/server/auth/sessions';

/** The panel's frame (skip link, brand, navigation, user, sign out) around a page; also used by the 404 page. */
export function PanelShell({ user, children }: { user: SessionUser; children: ReactNode }) {
  return (
    <Providers>
      <div className="shell">
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <header className="topbar">
          <Link href="/" className="brand">
            stockflow
          </Link>
          <Nav />
          <form action={signOut} className="user">
            <span title={`role: ${user.role}`}>
              {user.username} <span className="badge">{user.role}</span>
            </span>
            <button type="submit" className="link">
              Sign out
            </button>
          </form>
        </header>
        {/* Run ids, ARNs and addresses are long unbroken words: break them rather than widen a phone screen. */}
        <main id="main" className="content" tabIndex={-1} style={{ overflowWrap: 'anywhere' }}>
          {children}
        </main>
      </div>
    </Providers>
  );
}
