'use client';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Re-renders a server page while it can change: every 2 s while a run is queued or running, every
 * 10 s otherwise (a .SUCCESS may start one), and not at all while the tab is in the background.
 */
export function AutoRefresh({ active }: { active: boolean }) {
  const router = useRouter();
  useEffect(() => {
    const every = active ? 2_000 : 10_000;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, every);
    // Back from the background: catch up at once.
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') router.refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [active, router]);
  return null;
}
