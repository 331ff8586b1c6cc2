'use server';
import type { PreparedUpload } from '@/server/ports/upload-target';
import { uploadRequestSchema } from '@/server/uploads/upload-key';
import { publicErrorMessage } from '@/server/util/public-error';

import { getServices } from '../../_lib/services';
import { requireRole } from '../../_lib/session';

export type PrepareUploadResult = { ok: true; upload: PreparedUpload } | { ok: false; message: string };

/** Where the browser may PUT one file: checked here (role, key, type, size), sent by the browser itself. */
export async function prepareUpload(input: unknown): Promise<PrepareUploadResult> {
  try {
    await requireRole('operator');
    const request = uploadRequestSchema.safeParse(input);
    if (!request.success) return { ok: false, message: request.error.issues[0]!.message };
    const { key, contentType, size } = request.data;
    return { ok: true, upload: await (await getServices()).uploads.prepareUpload(key, contentType, size) };
  } catch (error) {
    return { ok: false, message: publicErrorMessage(error, 'The upload could not be prepared.') };
  }
}
