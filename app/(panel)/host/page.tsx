import { hasRole } from '@/server/auth/roles';
import { HostControls } from '@/components/host/HostControls';
import { StatusBadge } from '@/components/runs/StatusBadge';
import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function HostPage() {
  const user = await requireUser();
  const services = await getServices();
  const state = await services.host.describe();
  let health: string;
  if (services.config.orchestrator === 'airflow') {
    health = 'see Airflow';
  } else {
    const queued = await services.orchestrator.listRuns({ limit: 1, status: 'queued' });
    health = queued.runs.length > 0 ? 'runs waiting in the queue' : 'queue empty';
  }
  return (
    <>
      <h1>Host</h1>
      <div className="cards">
        <div className="card"><div className="label">State</div><div className="value" data-testid="host-status"><StatusBadge status={state.status === 'running' ? 'running' : state.status === 'stopped' ? 'cancelled' : 'queued'} /> {state.status}</div></div>
        <div className="card"><div className="label">{state.kind === 'ec2' ? 'Instance' : 'Worker'}</div><div className="value" style={{ fontSize: '1rem' }}>{state.id}</div><div className="muted">{state.type}</div></div>
        <div className="card"><div className="label">Public IP</div><div className="value" style={{ fontSize: '1rem' }}>{state.publicIp ?? '–'}</div></div>
        <div className="card"><div className="label">Orchestrator</div><div className="value" style={{ fontSize: '1rem' }}>{services.config.orchestrator}</div><div className="muted">{health}</div></div>
      </div>
      {state.detail && <p className="muted">{state.detail}</p>}
      <HostControls status={state.status} canOperate={hasRole(user.role, 'operator')} />
      <p className="muted">The panel can stop the host but never terminates it.</p>
    </>
  );
}
