declare module 's3rver' {
  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory?: string;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** S3rver is a Koa application: its middleware chain, composed when run() starts the server. */
    middleware: Array<(context: unknown, next: () => Promise<void>) => Promise<void>>;
  }
}
