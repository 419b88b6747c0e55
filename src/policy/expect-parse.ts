/** The expect language's parser lives in `config/` (it checks what users write); kept here so existing imports keep working. */
export * from '../config/expect-parse.js';
