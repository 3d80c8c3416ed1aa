// Reading a file's first bytes, safely: the repository summary runs in the action's process, outside the sandbox.
import { constants as fsConstants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';

/** The first `maxBytes` of a regular file as UTF-8; null for a link, anything but a regular file, or a read error. */
export async function readHead(path: string, maxBytes: number): Promise<string | null> {
  try {
    // Never through a symlink, nor from anything but a regular file: this runs in the action's process, outside the
    // sandbox, and a link planted by an earlier run (CLAUDE.md -> /proc/self/environ) must not reach the model.
    const fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    try {
      if (!(await fh.stat()).isFile()) return null;
      const buf = Buffer.alloc(maxBytes);
      const { bytesRead } = await fh.read(buf, 0, maxBytes, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/**
 * `readHead` for a path relative to `root` whose folders must not lead out of it either: `.claude` linked to a
 * folder elsewhere would otherwise carry `.claude/CLAUDE.md` or a skill from outside the checkout to the model.
 */
export async function readInside(root: string, rel: string, maxBytes: number): Promise<string | null> {
  try {
    const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dirname(join(root, rel)))]);
    if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) return null;
    return await readHead(join(realDir, basename(rel)), maxBytes);
  } catch {
    return null;
  }
}
