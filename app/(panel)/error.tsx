'use client';
import { ErrorPanel } from '@/components/layout/ErrorPanel';

// A panel page that failed: shown inside the panel's layout, so the navigation stays usable.
export default function PanelError({ error, retry }: { error: unknown; retry: () => void }) {
  return <ErrorPanel error={error} retry={retry} />;
}
