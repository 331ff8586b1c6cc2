/** One CSV record held on one line: free of Node APIs, shared by the pipeline and the upload preview. */

/** Longer lines are not data rows: they are reported without ever being held whole. */
export const LINE_LIMIT = 64 * 1024;

export type ParsedFields = { ok: true; fields: string[] } | { ok: false; reason: string };

/** Parses one CSV record held on one line (RFC 4180 quoting; quoted line breaks are not supported). */
export function parseCsvLine(line: string): ParsedFields {
  if (!line.includes('"')) return { ok: true, fields: line.split(',') };
  const fields: string[] = [];
  let position = 0;
  while (true) {
    if (line[position] === '"') {
      let value = '';
      position += 1;
      while (true) {
        const quote = line.indexOf('"', position);
        if (quote === -1) return { ok: false, reason: 'unterminated quoted field' };
        value += line.slice(position, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          position = quote + 2;
          continue;
        }
        position = quote + 1;
        break;
      }
      fields.push(value);
      if (position === line.length) return { ok: true, fields };
      if (line[position] !== ',') return { ok: false, reason: `unexpected character after closing quote at column ${position + 1}` };
      position += 1;
    } else {
      const comma = line.indexOf(',', position);
      const value = line.slice(position, comma === -1 ? line.length : comma);
      if (value.includes('"')) return { ok: false, reason: `stray quote in unquoted field at column ${position + 1}` };
      fields.push(value);
      if (comma === -1) return { ok: true, fields };
      position = comma + 1;
    }
  }
}
