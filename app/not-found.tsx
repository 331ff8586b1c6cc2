import { NotFoundMessage } from '@/components/layout/NotFoundMessage';
import { PanelShell } from '@/components/layout/PanelShell';

import { currentUser } from './_lib/session';

// Any address no route matches lands here, outside the panel's layout: draw the panel's frame
// ourselves for a signed-in user so the navigation is still there.
export default async function NotFound() {
  const user = await currentUser();
  if (!user) {
    return (
      <main className="login">
        <div className="login-card">
          <NotFoundMessage signedIn={false} />
        </div>
      </main>
    );
  }
  return (
    <PanelShell user={user}>
      <NotFoundMessage signedIn />
    </PanelShell>
  );
}
