// Reading a file's first bytes, safely: the repository summary runs in the action's process, outside the sandbox.
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';

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
