// Lint rules for the whole repository (flat config). Formatting is prettier's job (`prettier --check`),
// so eslint-config-prettier comes last and switches off every stylistic rule it would fight with.
// typescript-eslint needs the classic compiler API, which TypeScript 7 no longer ships: package.json therefore
// maps `typescript` to @typescript/typescript6 (the API, and `tsc6`) and `@typescript/native` to TypeScript 7,
// whose `tsc` still does `npm run typecheck` (the layout TypeScript 7 documents for running both).
import nextPlugin from '@next/eslint-plugin-next';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['build/**', 'dist/**', '.next/**', '.stockflow/**', 'node_modules/**', 'cdk.out/**', 'infra/aws/cdk.out/**', 'infra/lambda/dist/**', 'test-results/**', 'coverage/**', 'next-env.d.ts'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_previous` (useActionState's first argument) and friends are unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'simple-import-sort/imports': 'warn',
      'simple-import-sort/exports': 'warn',
    },
    plugins: { 'simple-import-sort': simpleImportSort },
  },
  {
    files: ['app/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    files: ['app/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}'],
    ...nextPlugin.configs['core-web-vitals'],
    // The panel is rendered by Next, not Pages Router: there is no pages/ folder to look for.
    settings: { next: { rootDir: '.' } },
  },
  {
    // Plain Node scripts (the CLI shims, build scripts) are CommonJS-free ESM run by node directly.
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  prettier,
);
