import { HostCards } from '@/components/host/HostCards';
import { HostControls } from '@/components/host/HostControls';
import { loadHost } from '@/server/read-models/host';

import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function HostPage() {
  const user = await requireUser();
  const view = await loadHost(await getServices(), user.role);
  return (
    <>
      <h1>Host</h1>
      <HostCards view={view} />
      <HostControls status={view.state.status} canOperate={view.canOperate} />
      <p className="muted">The panel can stop the host but never terminates it.</p>
    </>
  );
}
