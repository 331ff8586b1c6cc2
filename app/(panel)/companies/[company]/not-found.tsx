import Link from 'next/link';

/** An unknown company: a page of the panel (navigation kept), with the status 404. */
export default function CompanyNotFound() {
  return (
    <>
      <h1>No such company</h1>
      <div className="empty">
        No rows are stored for this company name. <Link href="/companies">Find a company</Link>
      </div>
    </>
  );
}
