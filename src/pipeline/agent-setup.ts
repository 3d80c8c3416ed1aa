/**
 * What the agent file decides about a run, within what the workflow allows: the model, the tools and the budgets.
 * Anything in the file this run cannot honour is a warning in the log (and, for tools, a footer line in the report);
 * the agent still runs.
 */
import { relative } from 'node:path';
import { agentBudgets, offeredTools, type AgentDefinition } from '../agents/definition.ts';
import { MODEL_ALIASES, resolveRunModel, type ModelInfo } from '../model/models.ts';
import { DEFAULT_MODEL } from '../constants.ts';
import type { Run } from './run.ts';

/** The agent file as the log names it: relative to the workspace, or the built-in's file name. */
function shown(run: Run, agent: AgentDefinition): string {
  return agent.builtin ? `built-in ${agent.name}` : relative(run.env.workspace, agent.file).split('\\').join('/');
}

/**
 * The model: the `model` input (an unknown one throws), else the file's, else the default. A file's model this
 * action does not know is a warning, and the default is used. Also logs what the file had that was ignored.
 */
export function agentModel(run: Run, agent: AgentDefinition): ModelInfo {
  const { model, unknownFileModel } = resolveRunModel(run.cfg.model, agent.model, DEFAULT_MODEL);
  for (const w of agent.warnings) run.log.warning(w);
  if (unknownFileModel !== undefined) {
    run.log.warning(
      `Agent file ${shown(run, agent)}: model "${unknownFileModel}" is not a model this action knows; using ${DEFAULT_MODEL} (${model.id}). Use one of ${MODEL_ALIASES.join(', ')}, a full id starting with "claude-", or "inherit".`,
    );
  }
  if (model.warning) run.log.warning(model.warning);
  return model;
}

/**
 * The tools to offer: what the file asks for, less its `disallowedTools`, within `allowed-tools`, among `available`
 * (the names this run has). What the file asks for and the run lacks is one warning and one footer line.
 */
export function agentTools(run: Run, agent: AgentDefinition, available: readonly string[]): string[] {
  const { offered, unavailable } = offeredTools(agent, available, run.cfg.allowedTools);
  if (unavailable.length) {
    run.log.warning(
      `Agent file ${shown(run, agent)}: not available here, left out: ${unavailable.join(', ')}. The agent runs with ${offered.join(', ') || 'no tools'}.`,
    );
    run.footer.push(`not available here: ${unavailable.join(', ')}`);
  }
  return offered;
}

/** The budgets the loop runs with: the inputs, narrowed by the file's `maxTurns` and `timeout_mins`. */
export function runBudgets(
  run: Run,
  agent: AgentDefinition,
): { maxTurns: number; maxCostUsd: number; timeoutMs: number } {
  const { cfg } = run;
  return { ...agentBudgets(agent, { maxTurns: cfg.maxTurns, timeoutMs: cfg.timeoutMs }), maxCostUsd: cfg.maxCostUsd };
}
