import { notFound } from 'next/navigation';

import { RunLive } from '@/components/runs/RunLive';
import { hasRole } from '@/server/auth/roles';
import { loadRunDetail } from '@/server/read-models/run-detail';
import { stepKeySchema } from '@/server/runs/step-key';

import { getServices } from '../../../_lib/services';
import { requireUser } from '../../../_lib/session';

// ?step=load (a grid cell's link) or ?step=load[2/3] (a shard) opens that step's log; anything else opens the default step.
const stepSchema = stepKeySchema.nullable().catch(null);

export default async function RunPage({ params, searchParams }: { params: Promise<{ runId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  const { runId } = await params;
  const detail = await loadRunDetail(await getServices(), decodeURIComponent(runId));
  if (!detail) notFound();
  const step = stepSchema.parse((await searchParams).step ?? null);
  return <RunLive initial={detail} canOperate={hasRole(user.role, 'operator')} initialStep={step} />;
}
