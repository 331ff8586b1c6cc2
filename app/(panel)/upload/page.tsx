import { UploadPanel } from '@/components/upload/UploadPanel';
import { loadUploadPage } from '@/server/read-models/upload-page';

import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function UploadPage() {
  const user = await requireUser();
  const view = loadUploadPage(await getServices(), user);
  return (
    <>
      <h1>Upload</h1>
      <UploadPanel view={view} />
    </>
  );
}
