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
