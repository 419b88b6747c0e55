/**
 * node:crypto, loaded the first time it is used. Loading it cost about 9 ms, and most commands
 * (`validate`, `plan`, `history`) never hash, sign or draw a random id: modules they load take
 * crypto from here instead of importing it.
 */
import type * as NodeCrypto from 'node:crypto';

export const crypto = (): typeof NodeCrypto => process.getBuiltinModule('node:crypto');
