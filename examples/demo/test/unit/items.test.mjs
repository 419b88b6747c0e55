import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createItemStore, TITLE_MAX, validateNewItem } from '../../src/api/items.mjs';

describe('item validation', () => {
  test('accepts a title and a known kind, trimming the title', () => {
    assert.deepEqual(validateNewItem({ title: '  Faster start-up  ', kind: 'feature' }), {
      ok: true,
      value: { title: 'Faster start-up', kind: 'feature' },
    });
  });

  test('rejects a body that is not an object', () => {
    for (const body of [null, [], 'text', 42]) {
      const result = validateNewItem(body);
      assert.equal(result.ok, false, `accepted ${JSON.stringify(body)}`);
      assert.equal(result.errors[0].field, '(body)');
    }
  });

  test('names every missing field', () => {
    const result = validateNewItem({});
    assert.equal(result.ok, false);
    assert.deepEqual(result.errors.map((e) => e.field).sort(), ['kind', 'title']);
  });

  test('rejects a blank title', () => {
    const result = validateNewItem({ title: '   ', kind: 'fix' });
    assert.equal(result.ok, false);
    assert.deepEqual(result.errors, [{ field: 'title', message: 'must not be blank' }]);
  });

  test('rejects a title over the limit and says how long it was', () => {
    const result = validateNewItem({ title: 'x'.repeat(TITLE_MAX + 1), kind: 'fix' });
    assert.equal(result.ok, false);
    assert.match(result.errors[0].message, new RegExp(`got ${TITLE_MAX + 1}`));
    assert.equal(validateNewItem({ title: 'x'.repeat(TITLE_MAX), kind: 'fix' }).ok, true);
  });

  test('rejects an unknown kind', () => {
    const result = validateNewItem({ title: 'Something', kind: 'chore' });
    assert.equal(result.ok, false);
    assert.equal(result.errors[0].field, 'kind');
    assert.match(result.errors[0].message, /feature, fix, breaking, docs/);
  });

  test('rejects unknown fields instead of ignoring them', () => {
    const result = validateNewItem({ titel: 'typo', title: 'Real', kind: 'docs' });
    assert.equal(result.ok, false);
    assert.deepEqual(result.errors.map((e) => e.field), ['titel']);
  });
});

describe('item store', () => {
  test('assigns increasing ids and timestamps from the clock', () => {
    const store = createItemStore(() => new Date('2025-01-02T03:04:05Z'));
    const a = store.add({ title: 'A', kind: 'fix' });
    const b = store.add({ title: 'B', kind: 'feature' });
    assert.equal(a.id, 1);
    assert.equal(b.id, 2);
    assert.equal(a.createdAt, '2025-01-02T03:04:05.000Z');
    assert.deepEqual(store.get(2), b);
    assert.equal(store.get(3), undefined);
  });

  test('lists in creation order and filters by kind', () => {
    const store = createItemStore();
    store.add({ title: 'A', kind: 'fix' });
    store.add({ title: 'B', kind: 'feature' });
    store.add({ title: 'C', kind: 'fix' });
    assert.deepEqual(store.list().map((i) => i.title), ['A', 'B', 'C']);
    assert.deepEqual(store.list({ kind: 'fix' }).map((i) => i.title), ['A', 'C']);
    assert.deepEqual(store.list({ kind: 'docs' }), []);
  });
});
