/**
 * The environment registry. Order matters: it is the order of `/v1/environments`, `/v1/status`,
 * task generation and scoring-subset enumeration (docs/original.md §9.1).
 */
export const ENV_IDS = [
  'metaworld/reach-v3',
  'metaworld/push-v3',
  'metaworld/pick-place-v3',
  'metaworld/door-open-v3',
  'metaworld/drawer-open-v3',
  'metaworld/drawer-close-v3',
  'metaworld/button-press-v3',
  'metaworld/peg-insert-v3',
] as const;

export type EnvId = (typeof ENV_IDS)[number];

export interface EnvironmentDescriptor {
  envId: EnvId;
  /** Text before the first `/` (the family). */
  envName: string;
  /** Text after the first `/`, or "" when there is none. */
  taskName: string;
  /** The MetaWorld task this environment re-authors. */
  metaworldTask: string;
  description: string;
}

const DESCRIPTIONS: Record<EnvId, [string, string]> = {
  'metaworld/reach-v3': ['reach-v3', 'Move the gripper to a goal position.'],
  'metaworld/push-v3': ['push-v3', 'Push a puck across the table to a goal.'],
  'metaworld/pick-place-v3': ['pick-place-v3', 'Pick up a puck and place it at a goal in the air.'],
  'metaworld/door-open-v3': ['door-open-v3', 'Open a hinged safe door by its handle.'],
  'metaworld/drawer-open-v3': ['drawer-open-v3', 'Pull a drawer open by its handle.'],
  'metaworld/drawer-close-v3': ['drawer-close-v3', 'Push an open drawer closed.'],
  'metaworld/button-press-v3': ['button-press-topdown-v3', 'Press a button down from above.'],
  'metaworld/peg-insert-v3': ['peg-insert-side-v3', 'Grasp a peg and insert it sideways into a hole.'],
};

export function splitEnvId(envId: string): { envName: string; taskName: string } {
  const slash = envId.indexOf('/');
  return slash < 0 ? { envName: envId, taskName: '' } : { envName: envId.slice(0, slash), taskName: envId.slice(slash + 1) };
}

export function isEnvId(value: string): value is EnvId {
  return (ENV_IDS as readonly string[]).includes(value);
}

export function describeEnvironment(envId: EnvId): EnvironmentDescriptor {
  const [metaworldTask, description] = DESCRIPTIONS[envId];
  return { envId, ...splitEnvId(envId), metaworldTask, description };
}

export function listEnvironments(): EnvironmentDescriptor[] {
  return ENV_IDS.map(describeEnvironment);
}

/** Expands `all`, a single id or a comma-separated list into registered ids; throws on unknown ids. */
export function resolveEnvSelection(selection: string): EnvId[] {
  if (selection === 'all') return [...ENV_IDS];
  const ids = selection
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !isEnvId(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new Error(`unknown environment ${unknown.join(', ') || '(none)'}; known: all, ${ENV_IDS.join(', ')}`);
  }
  return ids as EnvId[];
}
