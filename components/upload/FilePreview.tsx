'use client';
import { useEffect, useState } from 'react';

import { formatNumber } from '@/components/runs/format';
import type { FileInspection } from '@/server/uploads/file-inspection';
import type { KeyForFile } from '@/server/uploads/upload-key';

import { useUploadFile } from './data/useUploadFile';
import { inspectFile } from './inspect-file';
import { InspectionTables } from './InspectionTables';

export interface DroppedFile {
  id: string;
  file: File;
  target: KeyForFile;
}

type Reading = { state: 'reading'; progress: number } | { state: 'read'; inspection: FileInspection } | { state: 'unreadable'; reason: string };

/** One dropped file: what the pipeline will make of it, and its upload once it may go. */
export function FilePreview({
  dropped,
  canUpload,
  sizeLimitBytes,
  onStored,
  onRemove,
}: {
  dropped: DroppedFile;
  canUpload: boolean;
  sizeLimitBytes: number;
  onStored: (key: string) => void;
  onRemove: () => void;
}) {
  const { file, target } = dropped;
  const [reading, setReading] = useState<Reading>({ state: 'reading', progress: 0 });
  const [sent, setSent] = useState(0);
  const upload = useUploadFile(target.ok ? target.key : '', file, setSent);

  useEffect(() => {
    if (!target.ok || file.size > sizeLimitBytes) return;
    let current = true;
    inspectFile(file, target.kind, (progress) => current && setReading({ state: 'reading', progress }))
      .then((inspection) => current && setReading({ state: 'read', inspection }))
      .catch((error: unknown) => current && setReading({ state: 'unreadable', reason: error instanceof Error ? error.message : String(error) }));
    return () => {
      current = false;
    };
  }, [file, target, sizeLimitBytes]);

  const blocked = !target.ok
    ? target.reason
    : file.size > sizeLimitBytes
      ? `size: larger than ${Math.round(sizeLimitBytes / 1024 / 1024)} MB`
      : file.size === 0
        ? 'size: the file is empty'
        : reading.state === 'unreadable'
          ? reading.reason
          : reading.state === 'read'
            ? reading.inspection.blockedReason
            : null;
  const inspection = reading.state === 'read' ? reading.inspection : null;

  return (
    <section className="card" aria-label={`File ${file.name}`} style={{ display: 'grid', gap: '0.6rem', minWidth: 0 }}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 style={{ margin: 0, fontSize: '1.05rem', overflowWrap: 'anywhere' }}>{file.name}</h2>
        <button type="button" className="link" onClick={onRemove} aria-label={`Remove ${file.name}`} disabled={upload.isPending}>
          Remove
        </button>
      </div>
      <p className="muted" style={{ margin: 0, overflowWrap: 'anywhere' }}>
        {target.ok ? `${target.kind === 'stocks' ? 'Stock file' : 'Company list'} → ${target.key}` : 'Not an upload'} · {formatNumber(file.size)} bytes
      </p>
      {blocked ? (
        <p className="error" role="alert">
          Cannot be uploaded: {blocked}
        </p>
      ) : reading.state === 'reading' ? (
        <p role="status">
          Reading… <progress aria-label={`Reading ${file.name}`} max={1} value={reading.progress} />
        </p>
      ) : null}
      {inspection && (
        <>
          {inspection.header.ok && (
            <p className="notice" style={{ margin: 0 }}>
              {inspection.kind === 'stocks' ? 'Header OK' : 'List OK'}
              {inspection.header.note ? <span className="muted"> · {inspection.header.note}</span> : null}
            </p>
          )}
          {!inspection.blockedReason && (
            <p style={{ margin: 0 }}>
              <strong>{formatNumber(inspection.rowCount)}</strong> {inspection.kind === 'stocks' ? 'rows' : 'companies'}
              {inspection.badRowCount > 0 && <span className="error"> · {formatNumber(inspection.badRowCount)} bad</span>}
            </p>
          )}
          {inspection.warnings.map((warning) => (
            <p key={warning} className="muted" style={{ margin: 0 }}>
              ⚠ {warning}
            </p>
          ))}
          <InspectionTables name={file.name} inspection={inspection} />
        </>
      )}
      {inspection &&
        !blocked &&
        target.ok &&
        (canUpload ? (
          <div className="row">
            {upload.isSuccess ? (
              <p className="notice" role="status">
                Stored as {target.key}
              </p>
            ) : (
              <button type="button" className="primary" onClick={() => upload.mutate(undefined, { onSuccess: () => onStored(target.key) })} disabled={upload.isPending}>
                {upload.isPending ? `Uploading ${file.name}…` : `Upload ${file.name}`}
              </button>
            )}
            {upload.isPending && <progress aria-label={`Uploading ${file.name}`} max={1} value={sent} />}
            {upload.isError && (
              <p className="error" role="alert">
                Not stored: {upload.error.message}
              </p>
            )}
          </div>
        ) : (
          <p className="muted" style={{ margin: 0 }}>
            Uploading needs the operator role.
          </p>
        ))}
    </section>
  );
}
