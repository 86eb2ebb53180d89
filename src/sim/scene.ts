/**
 * Scene assembly: every environment is the shared base scene (data/scenes/base.xml: table, walls,
 * lights, cameras, gripper, arm) with task fragments spliced in at the base's `<!--@task-SECTION-->`
 * markers — `data/scenes/metaworld/<name>.xml` for the MetaWorld family, `data/scenes/cued/cue.xml`
 * plus `data/scenes/cued/<name>.xml` for the cued family. Plain string composition, no MJCF includes,
 * so a scene is one self-contained string that compiles anywhere (including inside worker threads).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCENES_DIR = fileURLToPath(new URL('../../data/scenes/', import.meta.url));

/** Sections a fragment may contribute; `hand` lands inside the gripper's hand body. */
const SECTIONS = ['worldbody', 'hand', 'equality', 'contact'] as const;

/** Splices the task fragments' sections into the base document, in fragment order. Pure; exported for tests. */
export function composeScene(baseXml: string, fragments: readonly string[], modelName: string): string {
  let xml = baseXml.replace(/<mujoco model="[^"]*">/, `<mujoco model="${modelName}">`);
  for (const section of SECTIONS) {
    const marker = `<!--@task-${section}-->`;
    if (!xml.includes(marker)) throw new Error(`base scene lacks the ${marker} marker`);
    const parts = fragments.map((f) => new RegExp(`<${section}>([\\s\\S]*?)</${section}>`).exec(f)?.[1]?.trim() ?? '').filter(Boolean);
    xml = xml.replace(marker, parts.join('\n'));
  }
  return xml;
}

const files = new Map<string, string>();

/** A scene file's text, relative to data/scenes (read once per thread). */
export function sceneFile(relative: string): string {
  let text = files.get(relative);
  if (text === undefined) {
    text = fs.readFileSync(`${SCENES_DIR}${relative}`, 'utf8');
    files.set(relative, text);
  }
  return text;
}

/** The complete scene: base plus the given fragments (paths relative to data/scenes). */
export function composeSceneFiles(fragments: readonly string[], modelName: string): string {
  return composeScene(sceneFile('base.xml'), fragments.map(sceneFile), modelName);
}
