import { StatusBadge } from '@/components/runs/StatusBadge';
import type { HostView } from '@/server/read-models/host';

/** The host's state, machine, address and orchestrator health as cards. */
export function HostCards({ view }: { view: HostView }) {
  const { state, orchestrator } = view;
  return (
    <>
      <div className="cards">
        <div className="card">
          <div className="label">State</div>
          <div className="value" data-testid="host-status">
            <StatusBadge status={view.badge} label={state.status} />
          </div>
        </div>
        <div className="card">
          <div className="label">{view.machineLabel}</div>
          <div className="value" style={{ fontSize: '1rem' }}>
            {state.id}
          </div>
          <div className="muted">{state.type}</div>
        </div>
        <div className="card">
          <div className="label">Public IP</div>
          <div className="value" style={{ fontSize: '1rem' }}>
            {state.publicIp ?? '–'}
          </div>
        </div>
        <div className="card">
          <div className="label">Orchestrator</div>
          <div className="value" style={{ fontSize: '1rem' }}>
            {orchestrator.name}
          </div>
          <div className={orchestrator.healthy ? 'muted' : 'error'}>{orchestrator.detail}</div>
        </div>
      </div>
      {state.detail && <p className="muted">{state.detail}</p>}
      <p className="muted">
        As of <time dateTime={view.checkedAt}>{view.checkedAtText}</time>.
      </p>
    </>
  );
}
