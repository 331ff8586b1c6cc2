import Papa from 'papaparse';

import { COMPANY_LIST_SIZE_LIMIT, inspectCompanyList } from '@/server/uploads/company-list-inspector';
import type { FileInspection } from '@/server/uploads/file-inspection';
import { StockFileInspector } from '@/server/uploads/stock-file-inspector';

/** Small enough that each chunk's rows are checked between two frames: a 100 MB file never freezes the tab. */
const CHUNK_BYTES = 1024 * 1024;

/** Reads a dropped file in the browser, chunk by chunk, with the pipeline's rules; nothing is stored. */
export function inspectFile(file: File, kind: FileInspection['kind'], onProgress: (fraction: number) => void): Promise<FileInspection> {
  if (kind === 'companyList') {
    if (file.size > COMPANY_LIST_SIZE_LIMIT) return Promise.reject(new Error(`a company list of ${Math.round(file.size / 1024 / 1024)} MB is not a company list`));
    return file.text().then(inspectCompanyList);
  }
  return new Promise((resolve, reject) => {
    const inspector = new StockFileInspector();
    let chunks = 0;
    Papa.parse<string[], File>(file, {
      delimiter: ',',
      chunkSize: CHUNK_BYTES,
      chunk(results, parser) {
        for (const record of results.data) inspector.addRecord(record);
        chunks += 1;
        onProgress(Math.min(1, (chunks * CHUNK_BYTES) / Math.max(1, file.size)));
        // A foreign header: no need to read the rest.
        if (inspector.stopped) parser.abort();
      },
      complete: () => resolve(inspector.finish()),
      error: (error) => reject(error),
    });
  });
}
