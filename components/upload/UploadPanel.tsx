'use client';
import { useState } from 'react';

import type { UploadPageView } from '@/server/read-models/upload-page';
import { keyForFileName } from '@/server/uploads/upload-key';

import { DropZone } from './DropZone';
import { type DroppedFile, FilePreview } from './FilePreview';
import { StartRunForm } from './StartRunForm';

let nextId = 0;

export function UploadPanel({ view }: { view: UploadPageView }) {
  const [files, setFiles] = useState<DroppedFile[]>([]);
  const [stored, setStored] = useState<string[]>([]);

  const add = (added: File[]) => {
    const fresh = added.map((file) => ({ id: String((nextId += 1)), file, target: keyForFileName(file.name) }));
    // A file for a key already shown replaces it: one card per destination.
    setFiles((current) => [...current.filter((entry) => !fresh.some((other) => other.target.ok && entry.target.ok && other.target.key === entry.target.key)), ...fresh]);
  };

  return (
    <div style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 1fr)', gap: '1rem' }}>
      <p className="muted" style={{ margin: 0, overflowWrap: 'anywhere' }}>
        Files are checked here in the browser with the pipeline&apos;s rules, then stored in the source bucket ({view.destination.kind === 's3' ? 'S3' : 'folder'}{' '}
        <code>{view.destination.location}</code>): stock files under <code>Stocks/</code>, the list as <code>CompanyNames/top_companies.txt</code>.
      </p>
      {!view.canUpload && (
        <p className="notice" role="note">
          You can check files here; uploading them needs the operator role.
        </p>
      )}
      <DropZone onFiles={add} />
      {files.map((entry) => (
        <FilePreview
          key={entry.id}
          dropped={entry}
          canUpload={view.canUpload}
          sizeLimitBytes={view.sizeLimitBytes}
          onStored={(key) => setStored((current) => (current.includes(key) ? current : [...current, key]))}
          onRemove={() => setFiles((current) => current.filter((other) => other.id !== entry.id))}
        />
      ))}
      {view.canUpload && stored.length > 0 && <StartRunForm storedKeys={stored} />}
    </div>
  );
}
