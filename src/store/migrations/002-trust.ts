import type { Migration } from './index.js';

/**
 * What a trustworthy verdict needs from history: the state of the working tree a run saw (a run on
 * uncommitted changes is never last-good nor a baseline, and flakiness compares like with like),
 * baselines per gate, the findings each run saw (so `findings.new` can compare fingerprints), and
 * a record of every rollback and publish.
 */
export const trust: Migration = {
  version: 2,
  name: 'trust',
  async up(db, kind) {
    const pg = kind === 'postgres';
    // 1: uncommitted changes; 0: clean; null: not a git repository (unknown).
    await db.schema.alterTable('runs').addColumn('dirty', 'integer').execute();
    await db.schema.alterTable('runs').addColumn('dirty_files', 'integer').execute();
    await db.schema.alterTable('runs').addColumn('tree', 'text').execute();
    // Imported samples name the gate they were measured in (null: from a format without gates).
    await db.schema.alterTable('baseline_samples').addColumn('gate', 'text').execute();

    await db.schema
      .createTable('findings')
      .addColumn('run_seq', 'integer', (c) => c.notNull())
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('file', 'text')
      .addColumn('line', 'integer')
      .execute();
    await db.schema.createIndex('findings_run_gate').on('findings').columns(['run_seq', 'gate']).execute();

    await db.schema
      .createTable('actions')
      .addColumn('seq', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('project', 'text', (c) => c.notNull())
      // rollback | publish
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('by', 'text', (c) => c.notNull())
      .addColumn('from_version', 'text')
      .addColumn('to_version', 'text', (c) => c.notNull())
      .addColumn('to_commit', 'text')
      // The recorded run the action acted on (the rollback target, the published run).
      .addColumn('run_id', 'text')
      .addColumn('forced', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('duration_ms', 'double precision')
      // running | done | failed | interrupted
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('steps', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('actions_project_seq').on('actions').columns(['project', 'seq']).execute();
  },
};
