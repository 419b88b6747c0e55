import { sql } from 'kysely';
import type { Migration } from './index.js';

/** The first schema: runs with their gates, tests (via a test-id dictionary), metrics, baselines, approvals, quarantine. */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  async up(db, kind) {
    const pg = kind === 'postgres';
    await db.schema
      .createTable('runs')
      .addColumn('seq', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('commit', 'text')
      .addColumn('branch', 'text')
      .addColumn('ci', 'integer', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('config_hash', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('duration_ms', 'double precision')
      .addColumn('result', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('gates', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('decision', 'text')
      // Set when gates were left out by --only/--skip: such a run is never last-good nor a baseline sample.
      .addColumn('selection', 'text')
      .execute();
    await db.schema.createIndex('runs_project_seq').on('runs').columns(['project', 'seq']).execute();
    await db.schema.createIndex('runs_project_branch_result').on('runs').columns(['project', 'branch', 'result', 'seq']).execute();
    await db.schema.createIndex('runs_running').on('runs').column('state').where(sql.ref('state'), '=', sql.lit('running')).execute();

    await db.schema
      .createTable('gate_results')
      .addColumn('run_seq', 'integer', (c) => c.notNull().references('runs.seq').onDelete('cascade'))
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('duration_ms', 'double precision', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('checks', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('gate_results_pk', ['run_seq', 'gate'])
      .execute();

    await db.schema
      .createTable('test_ids')
      .addColumn('id', pg ? 'serial' : 'integer', (c) => c.primaryKey())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('test_id', 'text', (c) => c.notNull())
      .addUniqueConstraint('test_ids_project_test', ['project', 'test_id'])
      .execute();

    // No foreign keys on the two big tables: they are written in bulk, and every row is written in
    // the same transaction as its run's final update, so a reference could never dangle.
    await db.schema
      .createTable('test_results')
      .addColumn('run_seq', 'integer', (c) => c.notNull())
      .addColumn('test_key', 'integer', (c) => c.notNull())
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('duration_ms', 'double precision')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('flaky', 'integer', (c) => c.notNull())
      .addColumn('bad', 'integer', (c) => c.notNull())
      .addColumn('message', 'text')
      .execute();
    // Per-test history (testHistory, and the second step of the flaky query).
    await db.schema.createIndex('test_results_test_run').on('test_results').columns(['test_key', 'run_seq']).execute();
    // First step of the flaky query: only the few failed/flaky rows are indexed.
    await db.schema
      .createIndex('test_results_bad')
      .on('test_results')
      .columns(['run_seq', 'test_key'])
      .where(sql.ref('bad'), '=', sql.lit(1))
      .execute();

    await db.schema
      .createTable('metrics')
      .addColumn('run_seq', 'integer', (c) => c.notNull())
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('unit', 'text')
      .execute();
    await db.schema.createIndex('metrics_run').on('metrics').columns(['run_seq', 'name']).execute();

    await db.schema
      .createTable('baseline_samples')
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('branch', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('unit', 'text')
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('commit', 'text')
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('sample_branch', 'text')
      .addPrimaryKeyConstraint('baseline_samples_pk', ['project', 'branch', 'name', 'run_id'])
      .execute();

    await db.schema
      .createTable('approvals')
      .addColumn('id', pg ? 'serial' : 'integer', (c) => c.primaryKey())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('gate', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('commit', 'text')
      .addColumn('by', 'text', (c) => c.notNull())
      .addColumn('evidence', 'text')
      .addColumn('note', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('approvals_lookup').on('approvals').columns(['project', 'gate', 'version']).execute();

    await db.schema
      .createTable('quarantine')
      // seq keeps `quarantine list` in the order entries were added (added_at can tie).
      .addColumn('seq', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('project', 'text', (c) => c.notNull())
      .addColumn('tests', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('until', 'text')
      .addColumn('by', 'text')
      .addColumn('added_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('quarantine_project').on('quarantine').column('project').execute();
  },
};
