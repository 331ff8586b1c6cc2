import type { ReactNode } from 'react';

import { PanelShell } from '@/components/layout/PanelShell';

import { requireUser } from '../_lib/session';

export const dynamic = 'force-dynamic';

export default async function PanelLayout({ children }: { children: ReactNode }) {
  return <PanelShell user={await requireUser()}>{children}</PanelShell>;
}
