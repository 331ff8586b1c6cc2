/** Replaces the password (and user) of every URL in a text: error messages must not carry secrets. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(:[^\s/@]*)?@/gi, (_match, scheme: string) => `${scheme}***@`);
}
