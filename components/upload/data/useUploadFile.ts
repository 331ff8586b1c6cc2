'use client';
import { useMutation } from '@tanstack/react-query';

import { prepareUpload } from '@/app/(panel)/upload/actions';
import { contentTypeOf } from '@/server/uploads/upload-key';

import { putFile } from '../put-file';
import { uploadKeys } from './keys';

/** Asks the server where to put the file (role, key and size checked there), then sends it there. */
export async function uploadFile(key: string, file: File, onProgress: (fraction: number) => void): Promise<void> {
  const prepared = await prepareUpload({ key, contentType: contentTypeOf(key), size: file.size });
  if (!prepared.ok) throw new Error(prepared.message);
  await putFile(file, prepared.upload, onProgress);
}

export function useUploadFile(key: string, file: File, onProgress: (fraction: number) => void) {
  return useMutation({ mutationKey: uploadKeys.file(key), mutationFn: () => uploadFile(key, file, onProgress) });
}
