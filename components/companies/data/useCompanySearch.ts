'use client';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { paths } from '@/components/shared/paths';

import { companyKeys } from './keys';

export async function fetchCompanies(prefix: string, signal?: AbortSignal): Promise<string[]> {
  const response = await fetch(paths.api.companies(prefix), { signal });
  if (!response.ok) throw new Error(`Could not search companies (HTTP ${response.status})`);
  return ((await response.json()) as { companies: string[] }).companies;
}

/** Company names starting with what was typed, asked for once typing pauses (150 ms). */
export function useCompanySearch(text: string) {
  const [prefix, setPrefix] = useState(text.trim().toLowerCase());
  useEffect(() => {
    const timer = setTimeout(() => setPrefix(text.trim().toLowerCase()), 150);
    return () => clearTimeout(timer);
  }, [text]);
  const query = useQuery({
    queryKey: companyKeys.search(prefix),
    queryFn: ({ signal }) => fetchCompanies(prefix, signal),
    staleTime: 60_000,
  });
  // Results for an older prefix are not offered for the text now typed.
  return { ...query, prefix, isCurrent: prefix === text.trim().toLowerCase() };
}
