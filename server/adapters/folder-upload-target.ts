import type { PreparedUpload, UploadTarget } from '../ports/upload-target';

/** The route that receives uploads for a folder bucket (app/api/uploads/route.ts). */
export const FOLDER_UPLOAD_PATH = '/api/uploads';

/** A folder bucket has no URL of its own: the browser PUTs to our route, which checks the session and writes the file. */
export class FolderUploadTarget implements UploadTarget {
  // The size is checked by the route as the bytes arrive.
  async prepareUpload(key: string, contentType: string, _size: number): Promise<PreparedUpload> {
    return {
      method: 'PUT',
      url: `${FOLDER_UPLOAD_PATH}?${new URLSearchParams({ key })}`,
      headers: { 'Content-Type': contentType },
      expiresAt: null,
    };
  }
}
