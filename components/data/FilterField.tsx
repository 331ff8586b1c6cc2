import styles from './data.module.css';

/** One filter input: the value the query understood, or what was typed with the problem beside it. */
export function FilterField({
  label,
  name,
  value,
  raw,
  problem,
  type,
  inputMode,
  placeholder,
}: {
  label: string;
  name: string;
  value: string | number | undefined;
  raw: string | undefined;
  problem: string | undefined;
  type?: string;
  inputMode?: 'decimal' | 'numeric';
  placeholder?: string;
}) {
  return (
    <label className={styles.field}>
      {label}
      <input
        name={name}
        type={type}
        inputMode={inputMode}
        placeholder={placeholder}
        defaultValue={problem ? (raw ?? '') : (value ?? '')}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${name}-problem` : undefined}
      />
      {problem && (
        <span id={`${name}-problem`} role="alert" className="field-error">
          {problem} — not applied
        </span>
      )}
    </label>
  );
}
