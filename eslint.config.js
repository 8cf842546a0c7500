import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The local cloud is an emulator of AWS: it must not borrow the product's code (services/,
 * shared/, infra/aws/), or the product would be tested against itself. A relative import reaches
 * the project root after climbing out of infra/local/cloud and each folder below it.
 */
const EMULATOR_DEPTHS = 6;
const emulatorBoundary = Array.from({ length: EMULATOR_DEPTHS }, (_, depth) => ({
  files: [`infra/local/cloud/${'*/'.repeat(depth)}*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\./)?(\\.\\./){${depth + 3}}(services|shared|infra/aws)(/|$)|^(\\./)?(\\.\\./){${depth + 2}}aws(/|$)`,
            message: 'The local cloud emulates AWS on its own: it imports nothing from services/, shared/ or infra/aws/.',
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local-cloud/', 'coverage/', '.test-tmp/', 'services/console/dist/', 'shared/contract/openapi.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...emulatorBoundary,
);
