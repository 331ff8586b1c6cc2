'use client';
import { useRouter } from 'next/navigation';
import { type KeyboardEvent, useId, useState } from 'react';

import { paths } from '@/components/shared/paths';

import styles from './companies.module.css';
import { useCompanySearch } from './data/useCompanySearch';

/**
 * Company search as a WAI-ARIA combobox (list autocomplete): typing opens the list, Arrow keys
 * move the active option (focus stays in the input, aria-activedescendant names it), Enter opens
 * the company, Escape closes the list.
 */
export function CompanySearch() {
  const router = useRouter();
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const { data, error, isFetching, isCurrent, prefix } = useCompanySearch(text);
  const options = isCurrent ? (data ?? []) : [];
  const expanded = open && text.trim() !== '' && isCurrent && data !== undefined;
  const go = (company: string) => {
    setOpen(false);
    router.push(paths.company(company));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(true);
      if (options.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current) => (current + step + options.length) % options.length);
    } else if (event.key === 'Enter') {
      const chosen = options[active] ?? (options.length === 1 ? options[0] : undefined);
      if (expanded && chosen) {
        event.preventDefault();
        go(chosen);
      }
    } else if (event.key === 'Escape') {
      if (open) event.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };
  const activeId = expanded && options[active] ? `${id}-option-${active}` : undefined;
  return (
    <div className={styles.combobox}>
      <label className="form" htmlFor={`${id}-input`}>
        Find a company
      </label>
      <input
        id={`${id}-input`}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={activeId}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
        placeholder="Type a ticker, e.g. aa"
        autoComplete="off"
        maxLength={56}
        autoFocus
      />
      {error && (
        <p className="error" role="alert">
          Search failed: {error.message}
        </p>
      )}
      <ul id={listId} role="listbox" aria-label="Companies" className={styles.listbox} hidden={!expanded} aria-busy={isFetching}>
        {options.map((company, index) => (
          <li
            key={company}
            id={`${id}-option-${index}`}
            role="option"
            aria-selected={index === active}
            className={styles.option}
            // mousedown, not click: the input's blur would close the list before a click lands.
            onMouseDown={(event) => {
              event.preventDefault();
              go(company);
            }}
          >
            {company}
          </li>
        ))}
        {options.length === 0 && (
          <li className={styles.empty} role="presentation">
            No company starts with “{prefix}”.
          </li>
        )}
      </ul>
    </div>
  );
}
