import { NextResponse } from 'next/server';
import { z } from 'zod';

import type { LogPage } from '@/server/ports/orchestrator';
import { runIdSchema } from '@/server/runs/run-id';
import { stepKeySchema } from '@/server/runs/step-key';

/** A page of log lines, and with a search how many lines of the whole log match it. */
export interface FilteredLogPage extends LogPage {
  matches: number | null;
}

/** The lowest level shown, and the levels that means. */
export const LOG_LEVELS = { info: ['info', 'warn', 'error'], warn: ['warn', 'error'], error: ['error'] } as const;

/** One step's (or one shard's: `transform[2/3]`) log, optionally one try: what both the page reads and the download name. */
export const logSelectionSchema = z.object({
  step: stepKeySchema,
  try: z.coerce.number().int().min(1).max(1000).optional(),
  level: z.enum(['info', 'warn', 'error'], { message: 'level must be info, warn or error' }).optional(),
  q: z.string().trim().min(1).max(200, 'search at most 200 characters').optional(),
});

export const logPageQuerySchema = logSelectionSchema.extend({
  after: z.string().max(500).optional(),
  tail: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** A query parsed, or the 400 response naming every bad parameter. */
export function parseQuery<T>(schema: z.ZodType<T>, request: Request): { ok: true; data: T } | { ok: false; response: NextResponse } {
  // An empty parameter is an absent one (a form's "any level" option sends level=).
  const entries = [...new URL(request.url).searchParams].filter(([, value]) => value !== '');
  const parsed = schema.safeParse(Object.fromEntries(entries));
  if (parsed.success) return { ok: true, data: parsed.data };
  const reason = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  return { ok: false, response: NextResponse.json({ error: reason }, { status: 400 }) };
}

export function parseRunId(raw: string): { ok: true; data: string } | { ok: false; response: NextResponse } {
  const runId = runIdSchema.safeParse(decodeURIComponent(raw));
  if (runId.success) return { ok: true, data: runId.data };
  return { ok: false, response: NextResponse.json({ error: runId.error.issues[0]?.message }, { status: 400 }) };
}
