import { hasRole } from '../auth/roles';
import type { SessionUser } from '../auth/sessions';
import type { Services } from '../services';
import { UPLOAD_SIZE_LIMIT } from '../uploads/upload-key';

export interface UploadPageView {
  canUpload: boolean;
  /** Where stored files go, as the operator configured it (s3://bucket/prefix or a folder). */
  destination: { kind: 's3' | 'folder'; location: string };
  sizeLimitBytes: number;
}

export function loadUploadPage(services: Pick<Services, 'config'>, user: SessionUser): UploadPageView {
  return {
    canUpload: hasRole(user.role, 'operator'),
    destination: { kind: services.config.source.kind, location: services.config.source.display },
    sizeLimitBytes: UPLOAD_SIZE_LIMIT,
  };
}
