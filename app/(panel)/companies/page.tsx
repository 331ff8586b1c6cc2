import { CompanySearch } from '@/components/companies/CompanySearch';

import { requireUser } from '../../_lib/session';

export default async function CompaniesPage() {
  await requireUser();
  return (
    <>
      <h1>Companies</h1>
      <CompanySearch />
    </>
  );
}
