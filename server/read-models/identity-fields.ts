/**
 * The identity form's fields as the user sees them. Kept apart from the schema (no imports) so the
 * browser form can show the same labels the server's messages use.
 */
export const IDENTITY_FIELDS = [
  { name: 'cohort', label: 'Cohort' },
  { name: 'firstName', label: 'First name' },
  { name: 'surname', label: 'Surname' },
] as const;

export type IdentityField = (typeof IDENTITY_FIELDS)[number]['name'];

/** A message per field the server refused, in the field's own words. */
export type IdentityFieldErrors = Partial<Record<IdentityField, string>>;
