/**
 * The visual arm. The physics drives only the floating hand (welded to its mocap target); the arm is
 * two capsule links (mocap bodies, non-colliding, massless) placed each control step by planar
 * two-link inverse kinematics from the shoulder to the wrist above the hand, elbow up. It exists so
 * the cameras see a robot arm where MetaWorld's Sawyer would be; it never touches anything.
 */

export type Vec3 = [number, number, number];
/** MuJoCo quaternion order: w, x, y, z. */
export type Quat = [number, number, number, number];

/** Must match data/scenes/base.xml (shoulder cap, arm_upper and arm_fore capsule lengths, wrist top). */
export const ARM_GEOMETRY = {
  shoulder: [0, 0, 0.32] as Vec3,
  upperLength: 0.55,
  foreLength: 0.5,
  /** Wrist point relative to the hand frame (top of the wrist cylinder). */
  wristOffset: [0, 0, 0.168] as Vec3,
};

export interface ArmPose {
  upperPos: Vec3;
  upperQuat: Quat;
  forePos: Vec3;
  foreQuat: Quat;
}

/** The quaternion turning +z onto the unit vector v. */
export function quatFromZ(v: Vec3): Quat {
  const w = 1 + v[2];
  if (w < 1e-9) return [0, 1, 0, 0];
  const n = Math.hypot(w, v[1], v[0]);
  return [w / n, (0 - v[1]) / n, v[0] / n, 0];
}

/** Link poses for a hand at `hand` (world frame). Out-of-reach targets stretch the arm toward them. */
export function armPose(hand: Vec3, geometry = ARM_GEOMETRY): ArmPose {
  const s = geometry.shoulder;
  const w: Vec3 = [hand[0] + geometry.wristOffset[0], hand[1] + geometry.wristOffset[1], hand[2] + geometry.wristOffset[2]];
  const dx = w[0] - s[0];
  const dy = w[1] - s[1];
  const dz = w[2] - s[2];
  const d = Math.hypot(dx, dy, dz);
  const l1 = geometry.upperLength;
  const l2 = geometry.foreLength;
  if (d < 1e-9) {
    return { upperPos: [...s], upperQuat: [1, 0, 0, 0], forePos: [s[0], s[1], s[2] + l1], foreQuat: [0, 1, 0, 0] };
  }
  const u: Vec3 = [dx / d, dy / d, dz / d];
  if (d >= l1 + l2 || d <= Math.abs(l1 - l2)) {
    // Unreachable: lay both links along the shoulder→wrist line, the forearm ending at the wrist.
    const elbowFromShoulder: Vec3 = [s[0] + u[0] * l1, s[1] + u[1] * l1, s[2] + u[2] * l1];
    const foreStart: Vec3 = d >= l1 + l2 ? [w[0] - u[0] * l2, w[1] - u[1] * l2, w[2] - u[2] * l2] : elbowFromShoulder;
    const q = quatFromZ(u);
    return { upperPos: [...s], upperQuat: q, forePos: foreStart, foreQuat: d >= l1 + l2 ? q : quatFromZ([-u[0], -u[1], -u[2]]) };
  }
  // "Up" within the vertical plane through the shoulder and the wrist, perpendicular to u.
  let p: Vec3 = [-u[2] * u[0], -u[2] * u[1], 1 - u[2] * u[2]];
  let pn = Math.hypot(p[0], p[1], p[2]);
  if (pn < 1e-6) {
    p = [0, 1, 0];
    pn = 1;
  }
  p = [p[0] / pn, p[1] / pn, p[2] / pn];
  const a = (l1 * l1 - l2 * l2 + d * d) / (2 * d);
  const h = Math.sqrt(Math.max(0, l1 * l1 - a * a));
  const elbow: Vec3 = [s[0] + a * u[0] + h * p[0], s[1] + a * u[1] + h * p[1], s[2] + a * u[2] + h * p[2]];
  const upperDir: Vec3 = [(elbow[0] - s[0]) / l1, (elbow[1] - s[1]) / l1, (elbow[2] - s[2]) / l1];
  const foreDir: Vec3 = [(w[0] - elbow[0]) / l2, (w[1] - elbow[1]) / l2, (w[2] - elbow[2]) / l2];
  return { upperPos: [...s], upperQuat: quatFromZ(upperDir), forePos: elbow, foreQuat: quatFromZ(foreDir) };
}
