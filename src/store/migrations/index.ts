import type { Kysely } from 'kysely';
import type { Database } from '../db.js';
import { initial } from './001-initial.js';
import { trust } from './002-trust.js';
import { approvalsBound } from './003-approvals.js';
import { testBlobs } from './004-test-blobs.js';

export type StoreKind = 'sqlite' | 'postgres';

/**
 * One versioned step. Migrations receive the backend kind only for the few DDL spellings that
 * differ (auto-increment keys); everything else is the same statement on both.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<Database>, kind: StoreKind): Promise<void>;
}

/** In version order; a new migration is appended here and never edited once released. */
export const MIGRATIONS: readonly Migration[] = [initial, trust, approvalsBound, testBlobs];
