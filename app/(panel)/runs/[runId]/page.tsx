import { notFound } from 'next/navigation';
import { hasRole } from '@/server/auth/roles';
import { loadRunDetail } from '@/server/read-models/run-detail';
import { RunLive } from '@/components/runs/RunLive';
import { getServices } from '../../../_lib/services';
import { requireUser } from '../../../_lib/session';

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const user = await requireUser();
  const { runId } = await params;
  const detail = await loadRunDetail(await getServices(), decodeURIComponent(runId));
  if (!detail) notFound();
  return <RunLive initial={detail} canOperate={hasRole(user.role, 'operator')} />;
}
