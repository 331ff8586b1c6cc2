import 'server-only';

import { loadConfig } from '@/server/config';
import { openServices, type Services } from '@/server/services';

// One set of adapters per server process, shared by every request (and across hot reloads).
const globalServices = globalThis as unknown as { __stockflowServices?: Promise<Services> };

export function getServices(): Promise<Services> {
  globalServices.__stockflowServices ??= openServices(loadConfig()).catch((error: unknown) => {
    globalServices.__stockflowServices = undefined;
    throw error;
  });
  return globalServices.__stockflowServices;
}
