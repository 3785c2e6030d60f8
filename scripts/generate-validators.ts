/**
 * Compiles the configuration schemas into standalone validation code (ajv), so that a cold start
 * compiles no schema. Run with `npm run generate`; test/config keeps the output in step.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateValidatorSource } from './validator-source';

const target = fileURLToPath(new URL('../shared/config/validators.generated.js', import.meta.url));
writeFileSync(target, generateValidatorSource());
console.log(`wrote ${target}`);
