/**
 * Finding coloured things in the cued scenes: blobs of a class per view (the cue band's own pixels
 * left out), and their 3-D position from the two calibrated cameras. Every candidate wears a colour no
 * other candidate wears, so the blob of a colour in one view and the blob of that colour in the other
 * view are the same object: matching across views is by colour alone.
 */
import { intersectHorizontal, triangulate, type Ray, type Vec3 } from '../camera.ts';
import type { Frame } from '../frame.ts';
import { findBlobs, type Blob, type ColourClass } from '../segment.ts';
import { cueLampPixels } from './frame.ts';

/** Pixel count per class (classes are small integers). */
export function classHistogramOf(labels: Uint8Array): Uint32Array {
  const h = new Uint32Array(16);
  for (let i = 0; i < labels.length; i++) h[labels[i]! & 15]!++;
  return h;
}

export interface Sighting {
  /** Index into frame.views. */
  view: number;
  blob: Blob;
  /** The ray through the blob's centroid. */
  ray: Ray;
}

/** Blobs of `cls` in each view (largest first), with the cue band's pixels masked out. */
export function sightings(frame: Frame, cls: number, minArea = 1): Sighting[][] {
  return frame.views.map((v, i) => {
    let labels = v.labels;
    const band = cueLampPixels(frame, i);
    if (band.some((p) => labels[p] === cls)) {
      labels = Uint8Array.from(labels);
      for (const p of band) labels[p] = 0;
    }
    return findBlobs(labels, v.width, v.height, cls as ColourClass, minArea).map((blob) => ({ view: i, blob, ray: v.camera.pixelRay(blob.cx, blob.cy) }));
  });
}

/** Distance between two rays at their closest approach. */
export function rayMiss(a: Ray, b: Ray): number {
  const p = triangulate([a, b]);
  if (!p) return Infinity;
  const off = (r: Ray) => {
    const d = [p[0] - r.origin[0], p[1] - r.origin[1], p[2] - r.origin[2]];
    const t = d[0]! * r.dir[0] + d[1]! * r.dir[1] + d[2]! * r.dir[2];
    return Math.hypot(d[0]! - t * r.dir[0], d[1]! - t * r.dir[1], d[2]! - t * r.dir[2]);
  };
  return off(a) + off(b);
}

export interface Located {
  point: Vec3;
  /** Views that contributed. */
  views: number;
  /** Pixels behind the estimate (both views). */
  area: number;
}

export interface LocateOptions {
  /** With one view only: intersect its ray with the plane z = planeZ (objects resting at a known height). */
  planeZ?: number;
  /** Rays that miss each other by more than this (m) are not the same object (default 0.04). */
  maxMiss?: number;
  /** Smallest blob to consider (pixels; default 1). */
  minArea?: number;
  /** Accept only points inside this box. */
  region?: [Vec3, Vec3];
}

function inRegion(p: Vec3, region?: [Vec3, Vec3]): boolean {
  return !region || [0, 1, 2].every((k) => p[k]! >= region[0][k]! && p[k]! <= region[1][k]!);
}

/**
 * The 3-D position of the (single) object wearing `cls`: the largest blob of each view, triangulated
 * when both views see it, else the one view's ray on the plane `planeZ` (when given). The centroid of a
 * partly hidden blob is biased: callers that need millimetres refine with their object's shape.
 */
export function locateColour(frame: Frame, cls: number, options: LocateOptions = {}): Located | undefined {
  const seen = sightings(frame, cls, options.minArea ?? 1);
  const best = seen.map((list) => list[0]).filter((s): s is Sighting => s !== undefined);
  if (best.length >= 2) {
    const [a, b] = best as [Sighting, Sighting];
    if (rayMiss(a.ray, b.ray) <= (options.maxMiss ?? 0.04)) {
      const point = triangulate([a.ray, b.ray], [a.blob.area, b.blob.area]);
      if (point && inRegion(point, options.region)) return { point, views: 2, area: a.blob.area + b.blob.area };
    }
  }
  if (options.planeZ === undefined) return undefined;
  const single = best.sort((x, y) => y.blob.area - x.blob.area)[0];
  if (!single) return undefined;
  const point = intersectHorizontal(single.ray, options.planeZ);
  return point && inRegion(point, options.region) ? { point, views: 1, area: single.blob.area } : undefined;
}
