/**
 * The shape of a cued skill and the memory helpers every one uses. A skill is a function of the
 * current frame plus a small per-episode memory (the cue read once, candidate positions seen so far —
 * the gripper and arm hide things as they move — and the skill's own phase).
 */
import type { Vec3 } from '../camera.ts';
import type { Frame } from '../frame.ts';
import type { Command, EpisodeMemory } from '../skills.ts';
import { locateColour, type Located, type LocateOptions } from './blobs.ts';
import { readCue } from './frame.ts';

export type { Command, EpisodeMemory };
export type CuedSkill = (frame: Frame, memory: EpisodeMemory) => Command;

export const HOLD: Command = { move: [0, 0, 0], effort: 0 };

/** The cue's class, read once per episode (at the first frame where the band is visible). */
export function cue(frame: Frame, memory: EpisodeMemory): number | undefined {
  if (memory.cue === undefined) {
    const seen = readCue(frame);
    if (seen !== undefined) memory.cue = seen;
  }
  return memory.cue as number | undefined;
}

interface Remembered {
  point: Vec3;
  views: number;
  area: number;
}

/**
 * Locates the object wearing `cls` and remembers the best sighting under `key`: a two-view fix beats a
 * one-view one, and a fresh two-view fix replaces an older one (the object may have moved). Returns the
 * remembered position when the object is hidden now.
 */
export function track(frame: Frame, memory: EpisodeMemory, key: string, cls: number, options: LocateOptions = {}): Vec3 | undefined {
  const seen: Located | undefined = locateColour(frame, cls, options);
  const old = memory[key] as Remembered | undefined;
  if (seen && (!old || seen.views >= old.views || seen.views === 2)) memory[key] = { point: seen.point, views: seen.views, area: seen.area };
  return (memory[key] as Remembered | undefined)?.point;
}
