'use client';
import { type DragEvent, useState } from 'react';

/** Files by drag and drop, or by the file input (the keyboard's way in). */
export function DropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const [over, setOver] = useState(false);
  const drop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setOver(false);
    if (event.dataTransfer.files.length > 0) onFiles([...event.dataTransfer.files]);
  };
  return (
    <div
      className="empty"
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
      style={{ borderColor: over ? 'var(--run)' : undefined, padding: '1.25rem' }}
    >
      <p style={{ margin: '0 0 0.6rem' }}>
        Drop stock CSVs (<code>ticker.us.csv</code>) or the company list (<code>top_companies.txt</code>) here. Nothing is stored until you upload it.
      </p>
      <label style={{ display: 'inline-flex', flexWrap: 'wrap', gap: '0.5rem', alignItems: 'center', justifyContent: 'center', maxWidth: '100%' }}>
        Choose files
        <input
          type="file"
          multiple
          accept=".csv,.txt,text/csv,text/plain"
          style={{ maxWidth: '100%' }}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            // Cleared, so choosing the same file again is a new choice.
            event.target.value = '';
            if (files.length > 0) onFiles(files);
          }}
        />
      </label>
    </div>
  );
}
