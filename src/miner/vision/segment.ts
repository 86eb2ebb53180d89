/**
 * Colour segmentation of the camera images into the few colour classes the eight scenes use, and
 * connected blobs of a class.
 *
 * Classes are bands of hue / saturation / value. The scenes' lights are white, so shading changes a
 * surface's brightness but not its hue or saturation; the domain randomization multiplies the table's
 * and the task object's colour channels by 0.85–1.15 each, which the bands absorb (measured ranges in
 * docs/miner-guide.md). The table is the main look-alike for warm colours; it never reaches the
 * saturation of the objects that share its hues.
 */

/** The colour classes (values index per-class tables). */
export const ColourClass = {
  Other: 0,
  /** Puck, button cap, robot arm (all the same red). */
  Red: 1,
  /** Reach goal marker. */
  Orange: 2,
  /** Button frame, door handle. */
  Yellow: 3,
  /** Peg, push goal marker. */
  Green: 4,
  /** The drawer box (a dull green). */
  DullGreen: 5,
  /** Pick-place goal marker. */
  Blue: 6,
  /** The peg's hole block (a saturated brick colour, less saturated than the red). */
  Brick: 7,
  /** The drawer cabinet (beige: table hue, low saturation). */
  Beige: 8,
  /** Near-black parts (drawer handle, gripper base, hinge pins). */
  Dark: 9,
  /** The table top and legs. */
  Table: 10,
} as const;
export type ColourClass = (typeof ColourClass)[keyof typeof ColourClass];

export const CLASS_COUNT = 11;

export interface Image {
  width: number;
  height: number;
  /** Row-major RGB bytes. */
  rgb: Uint8Array;
}

/** Hue in degrees [0, 360), saturation [0, 1], value [0, 255] of one pixel. */
function classify(r: number, g: number, b: number): ColourClass {
  const max = r > g ? (r > b ? r : b) : g > b ? g : b;
  const min = r < g ? (r < b ? r : b) : g < b ? g : b;
  const chroma = max - min;
  if (max < 20) return ColourClass.Other; // background
  const s = chroma / max;
  if (s < 0.17) return max < 65 ? ColourClass.Dark : ColourClass.Other;
  let h: number;
  if (max === r) h = 60 * (((g - b) / chroma + 6) % 6);
  else if (max === g) h = 60 * ((b - r) / chroma + 2);
  else h = 60 * ((r - g) / chroma + 4);
  if (h < 14 || h >= 345) {
    if (s >= 0.78) return ColourClass.Red;
    if (s >= 0.6) return ColourClass.Brick;
    return ColourClass.Table;
  }
  if (h < 40) {
    if (s >= 0.7) return ColourClass.Orange;
    if (s >= 0.28) return ColourClass.Table;
    return max >= 110 ? ColourClass.Beige : ColourClass.Other;
  }
  if (h < 62) {
    if (s >= 0.7) return ColourClass.Yellow;
    if (s >= 0.28) return ColourClass.Table;
    return max >= 110 ? ColourClass.Beige : ColourClass.Other;
  }
  if (h >= 85 && h < 170) return s >= 0.57 ? ColourClass.Green : ColourClass.DullGreen;
  if (h >= 200 && h < 250 && s >= 0.6) return ColourClass.Blue;
  return ColourClass.Other;
}

/** Per-pixel colour classes (one byte each). Reuses `out` when it is large enough. */
export function classifyImage(image: Image, out?: Uint8Array): Uint8Array {
  const n = image.width * image.height;
  const labels = out && out.length >= n ? out : new Uint8Array(n);
  const px = image.rgb;
  for (let i = 0, j = 0; i < n; i++, j += 3) labels[i] = classify(px[j]!, px[j + 1]!, px[j + 2]!);
  return labels;
}

export interface Blob {
  cls: ColourClass;
  /** Pixel count. */
  area: number;
  /** Centroid in pixel indices (column, row). */
  cx: number;
  cy: number;
  minCol: number;
  maxCol: number;
  minRow: number;
  maxRow: number;
  /** The blob's pixel indices (row · width + col). */
  pixels: Int32Array;
}

/**
 * 8-connected blobs of one class (or of any class in `classes`), largest first. `labels` is from
 * classifyImage; `minArea` drops specks.
 */
export function findBlobs(labels: Uint8Array, width: number, height: number, classes: ColourClass | readonly ColourClass[], minArea = 1): Blob[] {
  const wanted = new Uint8Array(CLASS_COUNT);
  for (const c of Array.isArray(classes) ? classes : [classes]) wanted[c as number] = 1;
  const n = width * height;
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const blobs: Blob[] = [];
  for (let start = 0; start < n; start++) {
    if (seen[start] || !wanted[labels[start]!]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    const members: number[] = [];
    let sumC = 0,
      sumR = 0,
      minCol = width,
      maxCol = -1,
      minRow = height,
      maxRow = -1;
    while (top > 0) {
      const p = stack[--top]!;
      members.push(p);
      const row = (p / width) | 0;
      const col = p - row * width;
      sumC += col;
      sumR += row;
      if (col < minCol) minCol = col;
      if (col > maxCol) maxCol = col;
      if (row < minRow) minRow = row;
      if (row > maxRow) maxRow = row;
      for (let dr = -1; dr <= 1; dr++) {
        const rr = row + dr;
        if (rr < 0 || rr >= height) continue;
        for (let dc = -1; dc <= 1; dc++) {
          const cc = col + dc;
          if (cc < 0 || cc >= width) continue;
          const q = rr * width + cc;
          if (!seen[q] && wanted[labels[q]!]) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (members.length < minArea) continue;
    blobs.push({
      cls: labels[start]! as ColourClass,
      area: members.length,
      cx: sumC / members.length,
      cy: sumR / members.length,
      minCol,
      maxCol,
      minRow,
      maxRow,
      pixels: Int32Array.from(members),
    });
  }
  blobs.sort((a, b) => b.area - a.area);
  return blobs;
}

/** Pixel count of each class. */
export function classHistogram(labels: Uint8Array, n = labels.length): Uint32Array {
  const hist = new Uint32Array(CLASS_COUNT);
  for (let i = 0; i < n; i++) hist[labels[i]!]!++;
  return hist;
}
