/** Query keys for company data (one factory, so refreshes never hand-list keys). */
export const companyKeys = {
  all: ['companies'] as const,
  search: (prefix: string) => ['companies', 'search', prefix] as const,
};
