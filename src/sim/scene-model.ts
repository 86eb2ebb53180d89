/**
 * One compiled scene of an environment: its own MjModel and MjData (a copy of the model, because
 * resets write randomization into it), the live views into them, cached name lookups, and the model
 * fields a reset writes — restored to their nominal values and then set from the task. The episode
 * (control step, judging, observation) is `ManipulationEnv` in env.ts, which builds on this.
 */
import type { Vec3 } from './arm.ts';
import type { SceneAccess, SceneBinding } from './binding.ts';
import { cuedBinding } from './cued/binding.ts';
import { yawQuat } from './cued/geometry.ts';
import type { Randomization } from './instance.ts';
import { metaworldBinding } from './metaworld/binding.ts';
import { compileModel, requireId, type MjData, type MjModel, type Mujoco } from './mujoco.ts';
import type { EnvId } from './registry.ts';
import type { TaskConfig } from './tasks.ts';

// ---------- live views into MjData ----------

/**
 * Typed-array views into the wasm heap are live across steps but detach (length 0) when the heap
 * grows, e.g. when another env in the same thread allocates. `ensure()` re-fetches them then.
 */
class DataViews {
  qpos!: Float64Array;
  qvel!: Float64Array;
  ctrl!: Float64Array;
  mocapPos!: Float64Array;
  mocapQuat!: Float64Array;
  xpos!: Float64Array;
  xquat!: Float64Array;
  xmat!: Float64Array;
  siteXpos!: Float64Array;

  constructor(private readonly data: MjData) {
    this.refresh();
  }

  refresh(): void {
    const d = this.data;
    this.qpos = d.qpos;
    this.qvel = d.qvel;
    this.ctrl = d.ctrl;
    this.mocapPos = d.mocap_pos;
    this.mocapQuat = d.mocap_quat;
    this.xpos = d.xpos;
    this.xquat = d.xquat;
    this.xmat = d.xmat;
    this.siteXpos = d.site_xpos;
  }

  ensure(): void {
    if (this.qpos.length === 0) this.refresh();
  }
}

/** Copies of the model fields that resets overwrite, taken right after compiling. */
interface Nominal {
  geomFriction: Float64Array;
  geomRgba: Float32Array;
  dofDamping: Float64Array;
  bodyMass: Float64Array;
  bodyInertia: Float64Array;
  bodyPos: Float64Array;
  bodyQuat: Float64Array;
  lightDiffuse: Float32Array;
  lightDir: Float64Array;
  camFovy: Float64Array;
}

let liveEnvironments = 0;

/** Number of environments created in this thread and not yet closed (each owns one MjModel + MjData). */
export function liveEnvironmentCount(): number {
  return liveEnvironments;
}

function bindingFor(envId: EnvId, randomization: Randomization): SceneBinding {
  return randomization === 'cued' ? cuedBinding(envId) : metaworldBinding(envId);
}

/** The complete MJCF text of an environment's scene in a family (tests, tools). */
export function sceneXmlFor(envId: EnvId, randomization: Randomization): string {
  return bindingFor(envId, randomization).xml;
}

/** The scene side of an environment: the wasm objects it owns and the `SceneAccess` bindings write through. */
export class SceneModel implements SceneAccess {
  readonly envId: EnvId;
  readonly randomization: Randomization;

  protected readonly mj: Mujoco;
  private modelHandle: MjModel | undefined;
  private dataHandle: MjData | undefined;
  protected readonly views: DataViews;
  private readonly nominal: Nominal;
  protected readonly binding: SceneBinding;
  private readonly names = new Map<string, number>();
  /** Copy of the model's jnt_qposadr (reading the model field builds a new view each time). */
  protected readonly jointQposAdr: Int32Array;

  constructor(mujoco: Mujoco, envId: EnvId, randomization: Randomization) {
    this.envId = envId;
    this.randomization = randomization;
    this.mj = mujoco;
    this.binding = bindingFor(envId, this.randomization);

    const model = compileModel(mujoco, this.binding.xml, `${this.randomization} ${envId}`);
    let data: MjData;
    try {
      data = new mujoco.MjData(model);
    } catch (err) {
      model.delete();
      throw err;
    }
    this.modelHandle = model;
    this.dataHandle = data;
    liveEnvironments++;
    try {
      const m = model;
      this.jointQposAdr = Int32Array.from(m.jnt_qposadr as Int32Array);
      // The family's fixed look is part of the nominal colours, so every reset starts from it.
      const rgba = m.geom_rgba as Float32Array;
      for (const [name, colour] of Object.entries(this.binding.look ?? {})) rgba.set(colour, 4 * this.id('geom', name));
      this.nominal = {
        geomFriction: Float64Array.from(m.geom_friction as Float64Array),
        geomRgba: Float32Array.from(rgba),
        dofDamping: Float64Array.from(m.dof_damping as Float64Array),
        bodyMass: Float64Array.from(m.body_mass as Float64Array),
        bodyInertia: Float64Array.from(m.body_inertia as Float64Array),
        bodyPos: Float64Array.from(m.body_pos as Float64Array),
        bodyQuat: Float64Array.from(m.body_quat as Float64Array),
        lightDiffuse: Float32Array.from(m.light_diffuse as Float32Array),
        lightDir: Float64Array.from(m.light_dir as Float64Array),
        camFovy: Float64Array.from(m.cam_fovy as Float64Array),
      };
      // Resolve every name the binding uses now, so a broken scene fails at construction.
      for (const name of this.binding.massBodies) this.id('body', name);
      for (const name of this.binding.tableGeoms) this.id('geom', name);
      for (const { kind, name } of this.binding.requiredNames) this.id(kind, name);
      this.views = new DataViews(data);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  get mujoco(): Mujoco {
    return this.mj;
  }

  get model(): MjModel {
    if (!this.modelHandle) throw new Error('environment is closed');
    return this.modelHandle;
  }

  get data(): MjData {
    if (!this.dataHandle) throw new Error('environment is closed');
    return this.dataHandle;
  }

  get closed(): boolean {
    return this.modelHandle === undefined;
  }

  /** Frees the MjData and MjModel. Idempotent. */
  close(): void {
    if (this.dataHandle) this.dataHandle.delete();
    if (this.modelHandle) {
      this.modelHandle.delete();
      liveEnvironments--;
    }
    this.dataHandle = undefined;
    this.modelHandle = undefined;
  }

  // ---------- SceneAccess: helpers used by bindings ----------

  /** Cached name → id lookup. */
  id(kind: 'body' | 'joint' | 'geom' | 'site' | 'actuator' | 'camera' | 'light', name: string): number {
    const key = `${kind}:${name}`;
    let id = this.names.get(key);
    if (id === undefined) {
      id = requireId(this.mj, this.model, kind, name);
      this.names.set(key, id);
    }
    return id;
  }

  bodyPos(name: string): Vec3 {
    const i = 3 * this.id('body', name);
    const x = this.views.xpos;
    return [x[i]!, x[i + 1]!, x[i + 2]!];
  }

  bodyQuat(name: string): [number, number, number, number] {
    const i = 4 * this.id('body', name);
    const q = this.views.xquat;
    return [q[i]!, q[i + 1]!, q[i + 2]!, q[i + 3]!];
  }

  sitePos(name: string): Vec3 {
    return this.siteById(this.id('site', name));
  }

  jointQpos(name: string): number {
    return this.views.qpos[this.jointQposAdr[this.id('joint', name)]!]!;
  }

  setJointQpos(name: string, value: number): void {
    this.views.qpos[this.jointQposAdr[this.id('joint', name)]!] = value;
  }

  setFreeBody(jointName: string, position: Vec3, yaw = 0): void {
    const adr = this.jointQposAdr[this.id('joint', jointName)]!;
    this.views.qpos.set([position[0], position[1], position[2], ...yawQuat(yaw)], adr);
  }

  setStaticBodyPose(name: string, position: readonly number[], yaw = 0): void {
    const b = this.id('body', name);
    (this.model.body_pos as Float64Array).set(position.slice(0, 3), 3 * b);
    (this.model.body_quat as Float64Array).set(yawQuat(yaw), 4 * b);
  }

  setGeomRgb(name: string, rgb: readonly number[]): void {
    const g = 4 * this.id('geom', name);
    const rgba = this.model.geom_rgba as Float32Array;
    for (let k = 0; k < 3; k++) rgba[g + k] = Math.min(1, Math.max(0, rgb[k]!));
  }

  tintGeom(name: string, factors: readonly number[]): void {
    const g = 4 * this.id('geom', name);
    this.setGeomRgb(
      name,
      [0, 1, 2].map((k) => this.nominal.geomRgba[g + k]! * factors[k]!),
    );
  }

  protected siteById(id: number): Vec3 {
    const s = this.views.siteXpos;
    return [s[3 * id]!, s[3 * id + 1]!, s[3 * id + 2]!];
  }

  /** Restores every randomized model field to nominal, then applies the task's physics and lighting. */
  protected applyRandomization(config: TaskConfig): void {
    const m = this.model;
    const n = this.nominal;
    const { friction, damping, mass_scale } = config.physics_params;
    const dr = config.domain_randomization;

    const geomFriction = m.geom_friction as Float64Array;
    for (let i = 0; i < geomFriction.length; i++) geomFriction[i] = n.geomFriction[i]! * friction;
    const dofDamping = m.dof_damping as Float64Array;
    for (let i = 0; i < dofDamping.length; i++) dofDamping[i] = n.dofDamping[i]! * damping;

    const bodyMass = m.body_mass as Float64Array;
    const bodyInertia = m.body_inertia as Float64Array;
    bodyMass.set(n.bodyMass);
    bodyInertia.set(n.bodyInertia);
    for (const name of this.binding.massBodies) {
      const b = this.id('body', name);
      bodyMass[b] = n.bodyMass[b]! * mass_scale;
      for (let k = 0; k < 3; k++) bodyInertia[3 * b + k] = n.bodyInertia[3 * b + k]! * mass_scale;
    }
    (m.body_pos as Float64Array).set(n.bodyPos);
    (m.body_quat as Float64Array).set(n.bodyQuat);

    (m.geom_rgba as Float32Array).set(n.geomRgba);
    for (const name of this.binding.tableGeoms) this.tintGeom(name, dr.table_tint);

    const diffuse = m.light_diffuse as Float32Array;
    for (let i = 0; i < diffuse.length; i++) diffuse[i] = n.lightDiffuse[i]! * dr.light_intensity;
    const lightDir = m.light_dir as Float64Array;
    for (let l = 0; l < m.nlight; l++) {
      const dir = [0, 1, 2].map((k) => n.lightDir[3 * l + k]! + dr.light_dir_jitter[k]!);
      const len = Math.hypot(dir[0]!, dir[1]!, dir[2]!) || 1;
      for (let k = 0; k < 3; k++) lightDir[3 * l + k] = dir[k]! / len;
    }

    const fovy = m.cam_fovy as Float64Array;
    fovy.set(n.camFovy);
    for (const [camera, delta] of Object.entries(dr.camera_fovy_jitter_deg)) {
      const c = this.mj.mj_name2id(m, this.mj.mjtObj.mjOBJ_CAMERA.value, camera);
      if (c >= 0) fovy[c] = n.camFovy[c]! + delta;
    }
  }
}
