import type { Migration } from './index.js';

/**
 * Approvals a security reviewer would accept: each is bound to the definition of the manual gate
 * it approves (checklist, evidence rule, approvers — a changed checklist needs a new approval), and
 * may carry an ed25519 signature over its fields, so a row written into the store by hand counts
 * for nothing where the gate names keys.
 */
export const approvalsBound: Migration = {
  version: 3,
  name: 'approvals-bound',
  async up(db) {
    await db.schema.alterTable('approvals').addColumn('definition', 'text').execute();
    await db.schema.alterTable('approvals').addColumn('signature', 'text').execute();
  },
};
