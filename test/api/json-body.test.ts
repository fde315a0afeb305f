import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonWithNonFinite } from '../../apps/api/src/http/json-body';

test('bare NaN / Infinity / -Infinity tokens parse as those numbers, so validation can name the field', () => {
  const v = parseJsonWithNonFinite('{"a":NaN,"b":Infinity,"c":[-Infinity,1],"d":-1}') as Record<string, unknown>;
  assert.ok(Number.isNaN(v.a));
  assert.equal(v.b, Infinity);
  assert.deepEqual(v.c, [-Infinity, 1]);
  assert.equal(v.d, -1);
});

test('the same words inside strings, escapes included, stay text', () => {
  const text = '{"p":"NaN and Infinity \\" NaN -Infinity","q":"\\\\","r":"x"}';
  assert.deepEqual(parseJsonWithNonFinite(text), JSON.parse(text));
});

test('anything else that is not JSON still fails', () => {
  assert.throws(() => parseJsonWithNonFinite('{"a": nan}'));
  assert.throws(() => parseJsonWithNonFinite('{"a": [1,'));
});
