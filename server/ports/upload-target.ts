/** How the browser sends one file to the source bucket: a request it makes itself, never through our memory. */
export interface PreparedUpload {
  method: 'PUT';
  /** Absolute (a presigned S3 URL) or same-origin (our own route, for a folder bucket). */
  url: string;
  /** Headers the PUT must carry exactly (they are part of the signature where one is used). */
  headers: Record<string, string>;
  /** When the URL stops working (ISO), or null when it does not expire. */
  expiresAt: string | null;
}

/** Where uploads of the source bucket go: S3 presigns a PUT, a folder bucket names our upload route. */
export interface UploadTarget {
  /** `key` is already validated against the upload allow-list; size and type are bound where the store can. */
  prepareUpload(key: string, contentType: string, size: number): Promise<PreparedUpload>;
}
