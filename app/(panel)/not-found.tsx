import { NotFoundMessage } from '@/components/layout/NotFoundMessage';

// notFound() from a panel page (an unknown run or company): inside the panel's layout, navigation included.
export default function PanelNotFound() {
  return <NotFoundMessage signedIn />;
}
