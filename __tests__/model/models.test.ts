import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_ALIASES, costUsd, resolveModel } from '../../src/model/models.ts';
import { UserError } from '../../src/errors.ts';

describe('resolveModel', () => {
  test('aliases map to the current ids', () => {
    assert.equal(resolveModel('sonnet', 'opus').id, 'claude-sonnet-5-5');
    assert.equal(resolveModel('opus', 'sonnet').id, 'claude-opus-5-5');
    assert.equal(resolveModel('haiku', 'sonnet').id, 'claude-haiku-5-5');
    assert.equal(resolveModel('sonnet[1m]', 'opus').id, 'claude-sonnet-5-5');
    assert.equal(resolveModel('opus[1m]', 'sonnet').id, 'claude-opus-5-5');
    assert.deepEqual([...MODEL_ALIASES].sort(), ['haiku', 'opus', 'opus[1m]', 'sonnet', 'sonnet[1m]']);
  });

  test('[1m] opens a 1M window; plain aliases work within 200K', () => {
    assert.equal(resolveModel('sonnet[1m]', 'x').contextWindow, 1_000_000);
    assert.equal(resolveModel('opus[1m]', 'x').contextWindow, 1_000_000);
    assert.equal(resolveModel('sonnet', 'x').contextWindow, 200_000);
    assert.equal(resolveModel('sonnet', 'x').maxOutput, 128_000);
  });

  test('undefined, empty and inherit fall back; case and spaces tolerated', () => {
    assert.equal(resolveModel(undefined, 'haiku').id, 'claude-haiku-5-5');
    assert.equal(resolveModel('inherit', 'opus').id, 'claude-opus-5-5');
    assert.equal(resolveModel('  ', 'opus').id, 'claude-opus-5-5');
    assert.equal(resolveModel(' Sonnet[1M] ', 'opus').contextWindow, 1_000_000);
  });

  test('prices: Sonnet 5.5 as documented; cache write 1.25×, read 0.1× input', () => {
    const m = resolveModel('sonnet', 'x');
    assert.deepEqual(m.prices, { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 });
    assert.deepEqual(resolveModel('opus', 'x').prices, { input: 4, output: 20, cacheWrite: 5, cacheRead: 0.4 });
    assert.equal(m.warning, undefined);
  });

  test('known full ids pass through with their figures; dated ids match their family', () => {
    const m = resolveModel('claude-sonnet-5-5', 'opus');
    assert.equal(m.id, 'claude-sonnet-5-5');
    assert.equal(m.contextWindow, 1_000_000);
    assert.equal(m.warning, undefined);
    const old = resolveModel('claude-haiku-4-5-20251001', 'opus');
    assert.equal(old.id, 'claude-haiku-4-5-20251001');
    assert.equal(old.contextWindow, 200_000);
    assert.equal(old.prices.input, 1);
    assert.equal(resolveModel('claude-opus-5-5[1m]', 'x').id, 'claude-opus-5-5');
  });

  test('unknown full ids pass through with conservative tier guesses and a warning', () => {
    const m = resolveModel('claude-opus-6', 'sonnet');
    assert.equal(m.id, 'claude-opus-6');
    assert.equal(m.tier, 'opus');
    assert.ok(m.prices.input >= 5 && m.prices.output >= 25, 'at least as expensive as any known opus');
    assert.ok(m.contextWindow <= 200_000);
    assert.match(m.warning ?? '', /"claude-opus-6" is not in this action's model table/);
    const x = resolveModel('claude-something-new', 'sonnet');
    assert.equal(x.tier, 'unknown');
    assert.ok(x.prices.input >= 10);
    assert.equal(resolveModel('claude-sonnet-9[1m]', 'x').contextWindow, 1_000_000);
  });

  test('unknown alias → UserError listing the known aliases', () => {
    assert.throws(
      () => resolveModel('gpt-5', 'sonnet'),
      (e: unknown) =>
        e instanceof UserError &&
        e.message ===
          'Unknown model "gpt-5". Use one of the aliases opus, sonnet, haiku, opus[1m], sonnet[1m] or a full model id starting with "claude-".',
    );
    assert.throws(() => resolveModel(undefined, 'sonet'), /Unknown model "sonet"/);
  });
});

describe('costUsd', () => {
  const usage = (i: number, o: number, w = 0, r = 0) => ({
    input_tokens: i,
    output_tokens: o,
    cache_creation_input_tokens: w,
    cache_read_input_tokens: r,
  });

  test('prices each kind of token', () => {
    const m = resolveModel('sonnet', 'x');
    assert.equal(costUsd(m, usage(1_000_000, 0)), 2);
    assert.equal(costUsd(m, usage(0, 1_000_000)), 10);
    assert.equal(costUsd(m, usage(0, 0, 1_000_000)), 2.5);
    assert.equal(costUsd(m, usage(0, 0, 0, 1_000_000)), 0.2);
    assert.ok(Math.abs(costUsd(m, usage(1000, 2000, 3000, 40_000)) - (0.002 + 0.02 + 0.0075 + 0.008)) < 1e-12);
  });

  test('missing or null cache counters count as zero', () => {
    const m = resolveModel('opus', 'x');
    assert.equal(costUsd(m, { input_tokens: 1_000_000, output_tokens: 0 }), 4);
    assert.equal(
      costUsd(m, {
        input_tokens: 0,
        output_tokens: 0,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
      }),
      0,
    );
  });

  test('Haiku 5.5 prices a prompt over 100K tokens at the long-prompt rate', () => {
    const m = resolveModel('haiku', 'x');
    const small = costUsd(m, usage(50_000, 1_000_000, 0, 50_000));
    assert.ok(Math.abs(small - (0.005 + 0.5 + 0.0005)) < 1e-12);
    const big = costUsd(m, usage(50_000, 1_000_000, 0, 50_001));
    assert.ok(Math.abs(big - (0.025 + 2.5 + (50_001 * 0.05) / 1e6)) < 1e-12);
  });
});
