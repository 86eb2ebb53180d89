/**
 * Shared pieces of the cued environments' tests: the privileged oracle's view of a live environment
 * (what a module's `oracle` receives) and one step of that oracle.
 */
import { fromNativeAction } from '../../src/sim/action.ts';
import type { CuedEnvModule, CuedOracleView } from '../../src/sim/cued/module.ts';
import type { ManipulationEnv, PrivilegedState, StepResult } from '../../src/sim/env.ts';

/** The oracle's view of the environment now, aiming at `target` (by default the episode's own). */
export function oracleView<L, S>(p: PrivilegedState, target = p.cued!.target): CuedOracleView<L, S> {
  const cued = p.cued!;
  return {
    hand: { hand: p.hand, tcp: p.tcp, gripperDistance: p.gripperDistance, leftPad: p.leftPad, rightPad: p.rightPad, effort: p.effort },
    mocap: p.mocap,
    steps: p.steps,
    layout: cued.layout as L,
    target,
    state: cued.state as S,
    start: cued.start as S,
  };
}

/** One step of `module`'s oracle acting for `target` (which may be a wrong candidate). */
export function stepOracle<L, S>(env: ManipulationEnv, module: CuedEnvModule<L, S>, target: number, memory: Record<string, unknown>): StepResult {
  const command = module.oracle(oracleView<L, S>(env.privileged(), target), memory);
  return env.step(fromNativeAction(command.move, command.effort));
}

/**
 * What touch can measure of a model's candidates, read from the compiled model's flat arrays (`width`
 * values per element): the candidate tests compare these to prove the candidates are identical to touch.
 */
export function touchReader(model: unknown) {
  const m = model as Record<string, ArrayLike<number>>;
  const slice = (field: string, index: number, width: number) => Array.from({ length: width }, (_, k) => m[field]![index * width + k]!);
  return {
    m,
    slice,
    /** A joint's kind, limits, contact parameters and passive dynamics. */
    joint(joint: number) {
      const dof = m.jnt_dofadr![joint]!;
      return {
        type: m.jnt_type![joint],
        axis: slice('jnt_axis', joint, 3),
        range: slice('jnt_range', joint, 2),
        solref: slice('jnt_solref', joint, 2),
        solimp: slice('jnt_solimp', joint, 5),
        stiffness: m.jnt_stiffness![joint]!,
        damping: m.dof_damping![dof],
        armature: m.dof_armature![dof],
        frictionloss: m.dof_frictionloss![dof],
      };
    },
    /** The geoms of `body`, each with its shape, placement in the body and contact parameters. */
    geoms(body: number) {
      const ids = Array.from({ length: m.geom_bodyid!.length }, (_, g) => g).filter((g) => m.geom_bodyid![g] === body);
      return ids.map((g) => ({
        type: m.geom_type![g],
        size: slice('geom_size', g, 3),
        pos: slice('geom_pos', g, 3),
        quat: slice('geom_quat', g, 4),
        friction: slice('geom_friction', g, 3),
        solref: slice('geom_solref', g, 2),
        solimp: slice('geom_solimp', g, 5),
        condim: m.geom_condim![g],
        contype: m.geom_contype![g],
        conaffinity: m.geom_conaffinity![g],
        margin: m.geom_margin![g],
      }));
    },
  };
}
