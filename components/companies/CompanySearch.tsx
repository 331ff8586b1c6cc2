'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';

/** Search-as-you-type over company names (debounced; the server does a prefix index scan). */
export function CompanySearch() {
  const [text, setText] = useState('');
  const [prefix, setPrefix] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setPrefix(text.trim().toLowerCase()), 150);
    return () => clearTimeout(timer);
  }, [text]);
  const { data, isFetching, error } = useQuery({
    queryKey: ['companies', 'search', prefix],
    queryFn: async () => {
      const response = await fetch(`/api/companies?q=${encodeURIComponent(prefix)}`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return ((await response.json()) as { companies: string[] }).companies;
    },
    staleTime: 60_000,
  });
  return (
    <div>
      <label className="form">
        Find a company
        <input value={text} onChange={(event) => setText(event.target.value)} placeholder="Type a ticker, e.g. aa" aria-controls="company-suggestions" autoFocus />
      </label>
      {error && <p className="error">Search failed: {error.message}</p>}
      <ul id="company-suggestions" className="suggestions" aria-busy={isFetching}>
        {(data ?? []).map((company) => (
          <li key={company}><Link href={`/companies/${encodeURIComponent(company)}`}>{company}</Link></li>
        ))}
        {data && data.length === 0 && <li className="muted" style={{ padding: '0.35rem 0.6rem' }}>No company starts with “{prefix}”.</li>}
      </ul>
    </div>
  );
}
