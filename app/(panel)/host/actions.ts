'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';

import { publicErrorMessage } from '@/server/util/public-error';

import { getServices } from '../../_lib/services';
import { requireRole } from '../../_lib/session';

export interface HostActionResult {
  ok: boolean;
  message: string;
}

export async function changeHost(action: 'start' | 'stop'): Promise<HostActionResult> {
  try {
    await requireRole('operator');
    const verb = z.enum(['start', 'stop']).parse(action);
    const { host } = await getServices();
    const state = verb === 'start' ? await host.start() : await host.stop();
    revalidatePath('/host');
    return { ok: true, message: `Host is ${state.status}.` };
  } catch (error) {
    return { ok: false, message: publicErrorMessage(error, 'Could not change the host.') };
  }
}
