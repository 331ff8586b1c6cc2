import { hasRole } from '@/server/auth/roles';
import { HostControls } from '@/components/host/HostControls';
import { StatusBadge } from '@/components/runs/StatusBadge';
import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function HostPage() {
  const user = await requireUser();
  const services = await getServices();
  const state = await services.host.describe();
  const health = await services.orchestrator.health();
  return (
    <>
      <h1>Host</h1>
      <div className="cards">
        <div className="card"><div className="label">State</div><div className="value" data-testid="host-status"><StatusBadge status={state.status === 'running' ? 'running' : state.status === 'stopped' ? 'cancelled' : 'queued'} label={state.status} /></div></div>
        <div className="card"><div className="label">{state.kind === 'ec2' ? 'Instance' : 'Worker'}</div><div className="value" style={{ fontSize: '1rem' }}>{state.id}</div><div className="muted">{state.type}</div></div>
        <div className="card"><div className="label">Public IP</div><div className="value" style={{ fontSize: '1rem' }}>{state.publicIp ?? '–'}</div></div>
        <div className="card"><div className="label">Orchestrator</div><div className="value" style={{ fontSize: '1rem' }}>{services.config.orchestrator}</div><div className={health.healthy ? 'muted' : 'error'}>{health.detail}</div></div>
      </div>
      {state.detail && <p className="muted">{state.detail}</p>}
      <HostControls status={state.status} canOperate={hasRole(user.role, 'operator')} />
      <p className="muted">The panel can stop the host but never terminates it.</p>
    </>
  );
}
