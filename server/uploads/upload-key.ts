import { z } from 'zod';

/**
 * What the Upload page may write to the source bucket, and under which key: free of Node APIs, so
 * the browser names a file's key with the same rules the server checks it against.
 */

export const COMPANY_LIST_KEY = 'CompanyNames/top_companies.txt';
export const STOCKS_PREFIX = 'Stocks/';

/** Large enough for any real ticker file (the biggest seed file is a few MB), small enough to refuse a wrong drop. */
export const UPLOAD_SIZE_LIMIT = 512 * 1024 * 1024;

/** A ticker file name as discover() resolves it: <company>[.<part>...].csv, company as in company-list.ts. */
const STOCK_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_&^-]{0,55}(?:\.[A-Za-z0-9]{1,16})*\.csv$/;

export const UPLOAD_CONTENT_TYPES = { csv: 'text/csv', txt: 'text/plain' } as const;
export type UploadContentType = (typeof UPLOAD_CONTENT_TYPES)[keyof typeof UPLOAD_CONTENT_TYPES];

export function isUploadKey(key: string): boolean {
  if (key === COMPANY_LIST_KEY) return true;
  return key.startsWith(STOCKS_PREFIX) && STOCK_FILE_NAME.test(key.slice(STOCKS_PREFIX.length));
}

export const uploadKeySchema = z
  .string()
  .max(200, 'key: at most 200 characters')
  .refine(isUploadKey, { message: `key: only ${STOCKS_PREFIX}<ticker>.csv (letters, digits, "_", "-", ".") or ${COMPANY_LIST_KEY}` });

export function contentTypeOf(key: string): UploadContentType {
  return key.endsWith('.txt') ? UPLOAD_CONTENT_TYPES.txt : UPLOAD_CONTENT_TYPES.csv;
}

/** What the browser asks for before it sends a file: validated again on the server. */
export const uploadRequestSchema = z
  .object({
    key: uploadKeySchema,
    contentType: z.enum([UPLOAD_CONTENT_TYPES.csv, UPLOAD_CONTENT_TYPES.txt], { message: 'contentType: text/csv or text/plain' }),
    size: z
      .number({ message: 'size: a number of bytes' })
      .int('size: a whole number of bytes')
      .min(1, 'size: the file is empty')
      .max(UPLOAD_SIZE_LIMIT, `size: at most ${UPLOAD_SIZE_LIMIT / 1024 / 1024} MB`),
  })
  .refine((request) => request.contentType === contentTypeOf(request.key), { message: 'contentType: does not match the key', path: ['contentType'] });
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export type KeyForFile = { ok: true; key: string; kind: 'stocks' | 'companyList' } | { ok: false; reason: string };

/** The key a dropped file goes to, decided by its name (the preview then checks its content). */
export function keyForFileName(fileName: string): KeyForFile {
  if (fileName === 'top_companies.txt') return { ok: true, key: COMPANY_LIST_KEY, kind: 'companyList' };
  const key = STOCKS_PREFIX + fileName;
  if (fileName.toLowerCase().endsWith('.csv') && isUploadKey(key)) return { ok: true, key, kind: 'stocks' };
  return {
    ok: false,
    reason: fileName.toLowerCase().endsWith('.csv')
      ? 'file name: a stock file is named <ticker>.csv or <ticker>.us.csv (letters, digits, "_", "-")'
      : 'file name: only top_companies.txt (the company list) or <ticker>.csv stock files',
  };
}
