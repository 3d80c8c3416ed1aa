// How the action reads GitHub's answers to an API commit, and where it sends GraphQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitFailure } from '../../src/github/commits.ts';
import { graphqlUrlFor } from '../../src/github/client.ts';

/** An error shaped like @octokit/graphql's GraphqlResponseError. */
function graphqlError(errors: Array<{ type?: string; message: string }>): Error {
  return Object.assign(new Error(`Request failed due to following response errors:\n - ${errors[0]!.message}`), {
    errors,
  });
}
/** An error shaped like @octokit/request's RequestError. */
function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

test('a moved branch is stale: refetch and retry', { timeout: 5000 }, () => {
  const e = graphqlError([
    { type: 'STALE_DATA', message: 'Expected branch to point to "abc" but it did not. Pull and try again.' },
  ]);
  assert.deepEqual(commitFailure(e), { kind: 'stale' });
  assert.deepEqual(commitFailure(graphqlError([{ message: 'Expected branch to point to "abc" but it did not.' }])), {
    kind: 'stale',
  });
});

test('a token that may not write is refused, naming contents: write and quoting GitHub', { timeout: 5000 }, () => {
  for (const e of [
    graphqlError([{ type: 'FORBIDDEN', message: 'Resource not accessible by integration' }]),
    httpError(403, 'Resource not accessible by integration'),
  ]) {
    const f = commitFailure(e);
    assert.equal(f.kind, 'refused');
    assert.match(
      f.kind === 'refused' ? f.what : '',
      /contents: write permission\): Resource not accessible by integration/,
    );
  }
});

test('a ruleset that rejects the commit is refused with the rule GitHub named', { timeout: 5000 }, () => {
  const f = commitFailure(
    graphqlError([{ message: 'Repository rule violations found\n\nChanges must be made through a pull request.' }]),
  );
  assert.equal(f.kind, 'refused');
  assert.match(
    f.kind === 'refused' ? f.what : '',
    /a rule on the branch rejected the commit: .*must be made through a pull request/,
  );
});

test('a GitHub without the mutation, or an outage, is unavailable: git push may still work', { timeout: 5000 }, () => {
  const old = commitFailure(
    graphqlError([{ message: "Field 'createCommitOnBranch' doesn't exist on type 'Mutation'" }]),
  );
  assert.equal(old.kind, 'unavailable');
  assert.match(old.kind === 'unavailable' ? old.reason : '', /does not offer createCommitOnBranch/);
  assert.equal(commitFailure(httpError(404, 'Not Found')).kind, 'unavailable');
  assert.equal(commitFailure(httpError(502, 'Bad Gateway')).kind, 'unavailable');
});

test('the GraphQL URL: GITHUB_GRAPHQL_URL, else derived the way GitHub lays out its hosts', { timeout: 5000 }, () => {
  assert.equal(graphqlUrlFor('https://api.github.com'), 'https://api.github.com/graphql');
  assert.equal(graphqlUrlFor('https://ghe.example.com/api/v3'), 'https://ghe.example.com/api/graphql');
  assert.equal(graphqlUrlFor('https://ghe.example.com/api/v3/'), 'https://ghe.example.com/api/graphql');
  assert.equal(graphqlUrlFor('https://api.acme.ghe.com'), 'https://api.acme.ghe.com/graphql');
  assert.equal(
    graphqlUrlFor('https://ghe.example.com/api/v3', 'https://gql.example.com/x/'),
    'https://gql.example.com/x',
  );
});
