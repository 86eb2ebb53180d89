/**
 * Which task a frame shows, from the colours in it. Every scene has a signature object: the drawer's
 * beige cabinet (open at the start of drawer-close, closed at the start of drawer-open), the peg's
 * brick-red block, the button's large yellow frame, the door's small yellow handle, and the goal
 * marker's colour for the three puck tasks (orange reach, green push, blue pick-place).
 *
 * The policy uses this to pair an episode's first observation with the right `/reset` when several
 * episodes interleave on one server, and as the answer when no reset names the task.
 */
import type { EnvId } from '../../sim/registry.ts';
import type { Frame } from './frame.ts';
import { drawerSlide, locateDrawer } from './perception.ts';
import { ColourClass as C, classHistogram } from './segment.ts';

/**
 * Candidate environments for this frame, best first (empty when there is nothing to go on). What it
 * measures on the way (the drawer's position and slide) is written to `findings`, so a skill that
 * starts on this frame need not measure it again.
 */
export function identifyScene(frame: Frame, findings: Record<string, unknown> = {}): EnvId[] {
  if (frame.views.length === 0) return [];
  const total = new Uint32Array(16);
  for (const v of frame.views) {
    const h = classHistogram(v.labels);
    for (let i = 0; i < h.length; i++) total[i]! += h[i]!;
  }
  const count = (c: number) => total[c]!;
  if (count(C.Beige) >= 30 && count(C.DullGreen) >= 10) {
    const x = locateDrawer(frame);
    const slide = x === undefined ? undefined : drawerSlide(frame, x);
    if (x !== undefined) findings.drawerX = x;
    if (slide !== undefined) findings.slide = slide;
    if (slide === undefined) return ['metaworld/drawer-open-v3', 'metaworld/drawer-close-v3'];
    // drawer-close starts 15 cm open, drawer-open closed.
    return slide < -0.075 ? ['metaworld/drawer-close-v3', 'metaworld/drawer-open-v3'] : ['metaworld/drawer-open-v3', 'metaworld/drawer-close-v3'];
  }
  if (count(C.Brick) >= 40) return ['metaworld/peg-insert-v3'];
  if (count(C.Yellow) >= 150) return ['metaworld/button-press-v3'];
  if (count(C.Yellow) >= 3) return ['metaworld/door-open-v3'];
  const goals: [EnvId, number][] = [
    ['metaworld/reach-v3', count(C.Orange)],
    ['metaworld/push-v3', count(C.Green)],
    ['metaworld/pick-place-v3', count(C.Blue)],
  ];
  return goals
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([id]) => id);
}
