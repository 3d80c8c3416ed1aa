import { UserError } from '../errors.ts';

const MAX_SLUG = 40;

/**
 * `git check-ref-format --branch` rules, checked without spawning git (the tests compare with real git): no control
 * characters, space, `~ ^ : ? * [ \`, no `..`, `@{`, `//`, no component starting with `.` or ending in `.lock`, not
 * starting with `-` or `/`, not ending with `/` or `.`, not `@` nor `HEAD`.
 */
export function isValidBranchName(name: string): boolean {
  if (!name || name === '@' || name === 'HEAD' || name.startsWith('-')) return false;
  // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names; so must this check
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** Lowercase ASCII words of the title joined by `-`, at most 40 characters, cut at a word boundary when it can. */
export function slugify(title: string): string {
  const ascii = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (ascii.length <= MAX_SLUG) return ascii;
  const cut = ascii.slice(0, MAX_SLUG + 1);
  const at = cut.lastIndexOf('-');
  return (at >= MAX_SLUG / 2 ? cut.slice(0, at) : cut.slice(0, MAX_SLUG)).replace(/-+$/, '');
}

/**
 * The branch for an issue: `<prefix><issue>-<slug of the title>` (`<prefix><issue>` when the title has no ASCII
 * word). The title is untrusted: only [a-z0-9-] of it reach the name. The prefix comes from the `branch-prefix`
 * input; characters git refuses are replaced, and a result git would still refuse is a UserError.
 */
export function slugBranch(prefix: string, issueNumber: number, title: string): string {
  if (!Number.isSafeInteger(issueNumber) || issueNumber < 0)
    throw new UserError(`Issue number ${issueNumber} is not a valid number.`);
  const safePrefix = prefix.replace(/[^A-Za-z0-9._/-]+/g, '-');
  const slug = slugify(title);
  const name = `${safePrefix}${issueNumber}${slug ? `-${slug}` : ''}`;
  if (!isValidBranchName(name)) {
    throw new UserError(
      `The branch name '${name}' is not valid in git: check the 'branch-prefix' input ('${prefix}'), e.g. 'agent/'.`,
    );
  }
  return name;
}
