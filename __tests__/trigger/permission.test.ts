import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decidePermission, isBot, type PermissionInput } from '../../src/trigger/permission.ts';

function decide(over: Partial<PermissionInput>) {
  return decidePermission({
    login: 'octocat',
    userType: 'User',
    permission: 'read',
    allowedUsers: [],
    allowedBots: [],
    ...over,
  });
}

describe('decidePermission: collaborators', () => {
  for (const permission of ['admin', 'write', 'maintain', 'ADMIN', ' write ']) {
    test(`permission "${permission}" is allowed`, () => {
      const d = decide({ permission });
      assert.equal(d.allowed, true);
      assert.match(d.reason, /octocat has (admin|write|maintain) permission/);
    });
  }

  for (const permission of ['read', 'triage', 'none', '', 'pull', 'something-new']) {
    test(`permission "${permission}" is refused`, () => {
      const d = decide({ permission });
      assert.equal(d.allowed, false);
      assert.match(d.reason, /write, maintain or admin/);
      assert.match(d.reason, /allowed-users/);
    });
  }

  test('role_name maintain is allowed although permission says write (the legacy value)', () => {
    const d = decide({ permission: 'write', roleName: 'maintain' });
    assert.equal(d.allowed, true);
    assert.match(d.reason, /has maintain permission/);
  });

  test('role_name triage does not lift a read permission; the reason names triage', () => {
    const d = decide({ permission: 'read', roleName: 'triage' });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /octocat has triage permission on this repository/);
  });

  test('role_name maintain is allowed even if permission were reported lower', () => {
    assert.equal(decide({ permission: 'read', roleName: 'maintain' }).allowed, true);
  });

  test('a custom role name falls back to the permission', () => {
    assert.equal(decide({ permission: 'write', roleName: 'security-manager' }).allowed, true);
    const d = decide({ permission: 'read', roleName: 'security-manager' });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /has read permission/);
  });

  test('no access says so', () => {
    const d = decide({ permission: 'none' });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /octocat has no access to this repository/);
  });

  test('the reason is one or two plain sentences without a stack or object dump', () => {
    const d = decide({ permission: 'read' });
    assert.ok(d.reason.length < 300);
    assert.match(d.reason, /^[A-Z].*\.$/s);
    assert.ok(!/undefined|null|\[object/.test(d.reason));
  });
});

describe('decidePermission: allowed-users', () => {
  test('a listed user without write permission is allowed, case-insensitively and with or without @', () => {
    for (const entry of ['octocat', 'OctoCat', '@octocat', '  octocat ']) {
      const d = decide({ permission: 'read', allowedUsers: ['someone', entry] });
      assert.equal(d.allowed, true, entry);
      assert.match(d.reason, /listed in `allowed-users`/);
    }
  });

  test('a login with different case matches too', () => {
    assert.equal(decide({ login: 'OCTOCAT', permission: 'none', allowedUsers: ['octocat'] }).allowed, true);
  });

  test('a prefix or a similar name does not match', () => {
    assert.equal(decide({ permission: 'read', allowedUsers: ['octo', 'octocat2', 'octo*'] }).allowed, false);
  });

  test('allowed-users does not admit bots', () => {
    const d = decide({
      login: 'renovate[bot]',
      userType: 'Bot',
      permission: 'write',
      allowedUsers: ['renovate[bot]', 'renovate'],
    });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /allowed-bots/);
  });
});

describe('decidePermission: bots', () => {
  test('a bot with write permission is refused unless listed', () => {
    const d = decide({ login: 'dependabot[bot]', userType: 'Bot', permission: 'write' });
    assert.equal(d.allowed, false);
    assert.match(d.reason, /Bots cannot run this agent unless they are listed in `allowed-bots`/);
    assert.match(d.reason, /dependabot\[bot\]/);
  });

  test('a [bot] login counts as a bot even when the type says User', () => {
    assert.equal(decide({ login: 'my-app[bot]', userType: 'User', permission: 'admin' }).allowed, false);
  });

  test('type Bot counts as a bot whatever the login', () => {
    assert.equal(decide({ login: 'ci-helper', userType: 'Bot', permission: 'admin' }).allowed, false);
    assert.equal(decide({ login: 'ci-helper', userType: 'bot', permission: 'admin' }).allowed, false);
  });

  test('a listed bot is allowed, with or without [bot], in any case, whatever its permission', () => {
    for (const entry of ['renovate', 'renovate[bot]', 'Renovate[BOT]', '@renovate[bot]']) {
      const d = decide({ login: 'renovate[bot]', userType: 'Bot', permission: 'read', allowedBots: [entry] });
      assert.equal(d.allowed, true, entry);
      assert.match(d.reason, /renovate\[bot\] is a bot listed in `allowed-bots`/);
    }
  });

  test('another bot on the list does not admit this one', () => {
    assert.equal(
      decide({ login: 'evil[bot]', userType: 'Bot', permission: 'write', allowedBots: ['renovate', 'evil-bot'] })
        .allowed,
      false,
    );
  });

  test('isBot', () => {
    assert.equal(isBot('github-actions[bot]'), true);
    assert.equal(isBot('x', 'Bot'), true);
    assert.equal(isBot('bot'), false);
    assert.equal(isBot('robot-lover', 'User'), false);
    assert.equal(isBot('x', 'Organization'), false);
  });
});
