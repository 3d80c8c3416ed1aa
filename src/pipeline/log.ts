import * as core from '@actions/core';
import type { Logger } from '../log.ts';

/** The action's logger: workflow commands, so warnings become annotations and debug lines follow ACTIONS_STEP_DEBUG. */
export const actionsLogger: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
};
