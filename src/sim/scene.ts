/**
 * Scene assembly: every environment is the shared base scene (data/scenes/base.xml: table, walls,
 * lights, cameras, gripper, arm) with one task file (data/scenes/tasks/<name>.xml) spliced in at the
 * base's `<!--@task-SECTION-->` markers. Plain string composition, no MJCF includes, so a scene is one
 * self-contained string that compiles anywhere (including inside worker threads).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EnvId } from './registry.ts';

export const SCENES_DIR = fileURLToPath(new URL('../../data/scenes/', import.meta.url));

/** Which task file each environment uses (drawer-open and drawer-close share the drawer). */
export const SCENE_FILES: Record<EnvId, string> = {
  'metaworld/reach-v3': 'reach',
  'metaworld/push-v3': 'push',
  'metaworld/pick-place-v3': 'pick-place',
  'metaworld/door-open-v3': 'door',
  'metaworld/drawer-open-v3': 'drawer',
  'metaworld/drawer-close-v3': 'drawer',
  'metaworld/button-press-v3': 'button',
  'metaworld/peg-insert-v3': 'peg',
};

const SECTIONS = ['worldbody', 'equality', 'contact'] as const;

/** Splices a task document's sections into the base document. Pure; exported for tests. */
export function composeScene(baseXml: string, taskXml: string, modelName: string): string {
  let xml = baseXml.replace(/<mujoco model="[^"]*">/, `<mujoco model="${modelName}">`);
  for (const section of SECTIONS) {
    const marker = `<!--@task-${section}-->`;
    if (!xml.includes(marker)) throw new Error(`base scene lacks the ${marker} marker`);
    const match = new RegExp(`<${section}>([\\s\\S]*?)</${section}>`).exec(taskXml);
    xml = xml.replace(marker, match ? match[1]!.trim() : '');
  }
  return xml;
}

const cache = new Map<string, string>();

/** The complete MJCF text of an environment's scene (files are read once per thread). */
export function sceneXml(envId: EnvId): string {
  const file = SCENE_FILES[envId];
  let xml = cache.get(file);
  if (xml === undefined) {
    const base = fs.readFileSync(`${SCENES_DIR}base.xml`, 'utf8');
    const task = fs.readFileSync(`${SCENES_DIR}tasks/${file}.xml`, 'utf8');
    xml = composeScene(base, task, `kinitro-${file}`);
    cache.set(file, xml);
  }
  return xml;
}
