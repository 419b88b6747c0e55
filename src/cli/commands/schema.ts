import { jsonSchemaText } from '../../config/json-schema.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

export function schemaCommand(ctx: CliContext): number {
  ctx.stdout.write(jsonSchemaText());
  return EXIT.READY;
}
