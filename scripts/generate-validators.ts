/**
 * Compiles the configuration schemas into standalone validation code (ajv), so that a cold start
 * compiles no schema. Run with `npm run generate`; test/config keeps the output in step.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printUsageIfAsked } from './cli';
import { generateValidatorSource } from './validator-source';

const USAGE = `Usage: npm run generate

Compiles the configuration schemas (shared/config/schemas.ts) into standalone validation code,
shared/config/validators.generated.js, which is committed. Run it after changing a schema.`;

if (!printUsageIfAsked(process.argv.slice(2), USAGE)) {
  writeFileSync(fileURLToPath(new URL('../shared/config/validators.generated.js', import.meta.url)), generateValidatorSource());
  console.log('wrote shared/config/validators.generated.js');
}
