import { hasRole, type Role } from '../auth/roles';
import type { HostState } from '../ports/host';
import type { Services } from '../services';
import { formatUtc } from '../util/display-time';

export interface HostView {
  state: HostState;
  /** The run-status colour that reads right for this host state. */
  badge: 'running' | 'cancelled' | 'queued';
  /** "Instance" for EC2, "Worker" for the embedded runner. */
  machineLabel: string;
  orchestrator: { name: string; healthy: boolean; detail: string };
  /** When the state above was read, with its zone. */
  checkedAtText: string;
  checkedAt: string;
  canOperate: boolean;
}

/** Everything the host screen shows, for a user of this role. */
export async function loadHost(services: Services, role: Role): Promise<HostView> {
  const [state, health] = await Promise.all([services.host.describe(), services.orchestrator.health()]);
  const checkedAt = new Date();
  return {
    state,
    badge: state.status === 'running' ? 'running' : state.status === 'stopped' ? 'cancelled' : 'queued',
    machineLabel: state.kind === 'ec2' ? 'Instance' : 'Worker',
    orchestrator: { name: services.config.orchestrator, healthy: health.healthy, detail: health.detail },
    checkedAt: checkedAt.toISOString(),
    checkedAtText: formatUtc(checkedAt),
    canOperate: hasRole(role, 'operator'),
  };
}
