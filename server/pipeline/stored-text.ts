/**
 * Text from source files and lists goes into CSV files, JSON (jsonb), logs and mails: it is
 * stored escaped (PostgreSQL refuses \u0000 in jsonb and text) and short (a 200 MB line must not
 * travel into every report), and spreadsheets must not run it as a formula.
 */

/** The most characters of one rejected line, reason or list entry kept anywhere. */
export const STORED_TEXT_LIMIT = 1024;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** Control characters as visible \xNN escapes, cut to `limit` characters with a note of what was left out. */
export function storedText(text: string, limit = STORED_TEXT_LIMIT): string {
  if (text.length <= limit && !CONTROL.test(text)) return text;
  let kept = '';
  let index = 0;
  for (; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const piece = isControl(code) ? `\\x${code.toString(16).padStart(2, '0')}` : text[index]!;
    if (kept.length + piece.length > limit) break;
    kept += piece;
  }
  if (index === text.length) return kept;
  // Never end on half a surrogate pair: JSON would carry a lone surrogate, which jsonb refuses.
  const lastCode = text.charCodeAt(index - 1);
  if (index > 0 && lastCode >= 0xd800 && lastCode <= 0xdbff) {
    kept = kept.slice(0, -1);
    index -= 1;
  }
  return `${kept}… (${text.length - index} more characters)`;
}

/**
 * A CSV text cell a spreadsheet would read as a formula (= + - @, or a tab/CR before one) gets a
 * leading apostrophe (OWASP's CSV injection advice). Only for text columns: numbers stay as they are.
 */
export function spreadsheetSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
