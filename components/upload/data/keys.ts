/** Mutation keys for uploads (one factory, as components/runs/data/keys.ts). */
export const uploadKeys = {
  all: ['uploads'] as const,
  file: (key: string) => ['uploads', key] as const,
};
