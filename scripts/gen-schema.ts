/** Writes schema/shipgate.schema.json from the one config schema. A test keeps the file in sync. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaText } from '../src/config/json-schema.js';

const out = join(import.meta.dirname, '..', 'schema', 'shipgate.schema.json');
writeFileSync(out, jsonSchemaText());
console.log(`wrote ${out}`);
