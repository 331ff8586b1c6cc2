import type { ReactNode } from 'react';
import { Nav } from '@/components/layout/Nav';
import { Providers } from '@/components/layout/Providers';
import { signOut } from '../login/actions';
import { requireUser } from '../_lib/session';

export const dynamic = 'force-dynamic';

export default async function PanelLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <Providers>
      <div className="shell">
        <a href="#main" className="skip-link">Skip to content</a>
        <header className="topbar">
          <a href="/" className="brand">stockflow</a>
          <Nav />
          <form action={signOut} className="user">
            <span title={`role: ${user.role}`}>
              {user.username} <span className="badge">{user.role}</span>
            </span>
            <button type="submit" className="link">Sign out</button>
          </form>
        </header>
        <main id="main" className="content" tabIndex={-1}>{children}</main>
      </div>
    </Providers>
  );
}
