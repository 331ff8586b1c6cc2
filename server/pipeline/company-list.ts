/**
 * The company list: either the seed's one line of quoted, comma-separated file names
 * ('tmusp.us.csv', 'mcv.us.csv', ...) or one name per line, quoted or not, with or without
 * the .us.csv ending. Company name = the file name up to its first dot.
 */

export interface CompanyListEntry {
  company: string;
  /** Where it was written in the list, for reports. */
  line: number;
  raw: string;
}

export interface ParsedCompanyList {
  companies: CompanyListEntry[];
  /** Names listed more than once (kept once, reported). */
  duplicates: CompanyListEntry[];
  /** Entries that cannot name a company (reported). */
  invalid: Array<CompanyListEntry & { reason: string }>;
}

const companyName = /^[a-z0-9][a-z0-9_&^-]*$/;

export function companyOfFileName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return (dot === -1 ? base : base.slice(0, dot)).toLowerCase();
}

export function parseCompanyList(text: string): ParsedCompanyList {
  const companies: CompanyListEntry[] = [];
  const duplicates: CompanyListEntry[] = [];
  const invalid: Array<CompanyListEntry & { reason: string }> = [];
  const seen = new Set<string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((lineText, index) => {
    for (const piece of lineText.split(',')) {
      const raw = piece.trim();
      if (!raw) continue;
      const unquoted = raw.replace(/^(['"])(.*)\1$/, '$2').trim();
      const entry: CompanyListEntry = { company: companyOfFileName(unquoted), line: index + 1, raw };
      if (/[\\/]/.test(unquoted) || !entry.company || !companyName.test(entry.company) || entry.company.length > 56) {
        invalid.push({ ...entry, reason: 'not a ticker file name (letters, digits, "_", "-", at most 56 characters)' });
      } else if (seen.has(entry.company)) {
        duplicates.push(entry);
      } else {
        seen.add(entry.company);
        companies.push(entry);
      }
    }
  });
  return { companies, duplicates, invalid };
}
