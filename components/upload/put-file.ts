import type { PreparedUpload } from '@/server/ports/upload-target';

/**
 * Sends the file to where the server said (our route, or S3 directly), with upload progress:
 * XMLHttpRequest, since fetch reports no upload progress. Resolves only on a 2xx answer.
 */
export function putFile(file: File, upload: PreparedUpload, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(upload.headers)) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(`the store refused the file (HTTP ${request.status}): ${refusal(request.responseText)}`));
    };
    request.onerror = () => reject(new Error('the file did not reach the store (network error; for an S3 bucket, check its CORS rule for this panel)'));
    request.onabort = () => reject(new Error('upload cancelled'));
    signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(file);
  });
}

/** Our route answers {"error": ...}, S3 an XML <Message>. */
function refusal(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return /<Message>([^<]{1,300})<\/Message>/.exec(body)?.[1] ?? 'no reason given';
}
