/** The editor JSON Schema, as committed in schema/shipgate.schema.json. */
import { jsonSchema } from './schema.js';

export function jsonSchemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}
