/** PNG output for people (the CLI and debugging); miners get raw bytes (EncodedImage), never PNG. */
import fs from 'node:fs';
import { PNG } from 'pngjs';

/** Encodes W×H×3 uint8 RGB (row 0 = top) as a PNG. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length < width * height * 3) throw new Error(`need ${width * height * 3} bytes for ${width}×${height} RGB, got ${rgb.length}`);
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    png.data[j] = rgb[3 * i]!;
    png.data[j + 1] = rgb[3 * i + 1]!;
    png.data[j + 2] = rgb[3 * i + 2]!;
    png.data[j + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 });
}

export function writePng(path: string, rgb: Uint8Array, width: number, height: number): void {
  fs.writeFileSync(path, encodePng(rgb, width, height));
}
