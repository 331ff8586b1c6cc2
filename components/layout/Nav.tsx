'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/runs', label: 'Runs' },
  { href: '/markers', label: 'Markers' },
  { href: '/data', label: 'Data' },
  { href: '/upload', label: 'Upload' },
  { href: '/companies', label: 'Companies' },
  { href: '/host', label: 'Host' },
  { href: '/notifications', label: 'Notifications' },
];

export function Nav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main">
      {LINKS.map((link) => {
        const active = link.href === '/' ? pathname === '/' : pathname.startsWith(link.href);
        return (
          <Link key={link.href} href={link.href} aria-current={active ? 'page' : undefined}>
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}
