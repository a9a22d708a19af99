#!/usr/bin/env node
// Draws the app and tray icons into build/icons/ (committed; rerun after changing a shape):
// simple shapes, 4×4 supersampled, written as RGBA PNGs with zlib — no image tools needed.
// Windows gets .ico files (PNG entries, which Windows reads since Vista); macOS the 1024 px PNG
// electron-builder turns into its .icns.
//   node build/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const iconsDir = join(dirname(fileURLToPath(import.meta.url)), 'icons');

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (1 + size * 4) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * An ICO container holding the given PNGs as they are: a 6-byte header, one 16-byte directory
 * entry per image (width and height 0 mean 256), then the PNG bytes. Sizes above 256 do not fit.
 */
export function encodeIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon (2 would be a cursor)
  header.writeUInt16LE(images.length, 4);
  const directory = Buffer.alloc(16 * images.length);
  let offset = header.length + directory.length;
  images.forEach(({ size, png }, i) => {
    if (size < 1 || size > 256) throw new Error(`An ICO entry is 1 to 256 pixels wide, not ${size}.`);
    const entry = directory.subarray(16 * i, 16 * (i + 1));
    entry[0] = size % 256;
    entry[1] = size % 256;
    entry[2] = 0; // no palette
    entry[3] = 0; // reserved
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
  });
  return Buffer.concat([header, directory, ...images.map(({ png }) => png)]);
}

// Source-over compositing; a fully transparent layer erases instead (a cut-out).
function over(top, below) {
  if (top[3] === 0) return top;
  const ta = top[3] / 255;
  const ba = below[3] / 255;
  const a = ta + ba * (1 - ta);
  const mix = (i) => (top[i] * ta + below[i] * ba * (1 - ta)) / a;
  return [mix(0), mix(1), mix(2), a * 255];
}

// A picture is a list of layers: [color [r,g,b,a 0–255], inside(x, y) over the unit square].
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let pixel = [0, 0, 0, 0];
          for (const [color, inside] of layers) if (inside(x, y)) pixel = over(color, pixel);
          r += pixel[0] * pixel[3];
          g += pixel[1] * pixel[3];
          b += pixel[2] * pixel[3];
          a += pixel[3];
        }
      }
      const i = (py * size + px) * 4;
      out[i + 3] = Math.round(a / (samples * samples));
      // Colour averaged by coverage, so edges do not darken against transparency.
      if (a > 0) [out[i], out[i + 1], out[i + 2]] = [r / a, g / a, b / a].map(Math.round);
    }
  }
  return out;
}

const disc = (cx, cy, radius) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
const ring = (cx, cy, outer, inner) => (x, y) => disc(cx, cy, outer)(x, y) && !disc(cx, cy, inner)(x, y);
const box = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const roundedBox = (x0, y0, x1, y1, radius) => (x, y) => {
  if (!box(x0, y0, x1, y1)(x, y)) return false;
  const cx = Math.min(Math.max(x, x0 + radius), x1 - radius);
  const cy = Math.min(Math.max(y, y0 + radius), y1 - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
};
const not = (shape) => (x, y) => !shape(x, y);
const both = (a, b) => (x, y) => a(x, y) && b(x, y);

const exclamation = (x, y) => box(0.43, 0.2, 0.57, 0.58)(x, y) || disc(0.5, 0.74, 0.08)(x, y);

// Tray states: serving a solid disc, stopped a ring, error a disc with an exclamation mark —
// told apart by shape as well as colour, so the monochrome macOS template works too.
const trayShapes = {
  serving: [[disc(0.5, 0.5, 0.42)]],
  stopped: [[ring(0.5, 0.5, 0.42, 0.27)]],
  error: [[disc(0.5, 0.5, 0.42)], [exclamation, 'cut']],
};
const trayColours = { serving: [46, 158, 68, 255], stopped: [128, 134, 142, 255], error: [217, 48, 37, 255] };
const white = [255, 255, 255, 255];
const black = [0, 0, 0, 255];
const clear = [0, 0, 0, 0];

function trayLayers(state, template) {
  const [[base], cut] = trayShapes[state];
  const layers = [[template ? black : trayColours[state], base]];
  if (cut) layers.push([template ? clear : white, both(base, cut[0])]);
  return layers;
}

// The app icon: a Docker-blue tile, three stacked containers on a waterline and their fading
// reflection below it.
function appLayers() {
  const layers = [[[29, 99, 237, 255], roundedBox(0.06, 0.06, 0.94, 0.94, 0.2)]];
  const waterline = 0.57;
  const rows = [
    [0.2, 0.28, 0.44, 0],
    [0.31, 0.39, 0.56, 140],
    [0.42, 0.5, 0.68, 200],
  ];
  for (const [y0, y1, width, reflection] of rows) {
    layers.push([white, roundedBox(0.5 - width / 2, y0, 0.5 + width / 2, y1, 0.02)]);
    const mirrored = roundedBox(0.5 - width / 2, 2 * waterline - y1, 0.5 + width / 2, 2 * waterline - y0, 0.02);
    if (reflection > 0) layers.push([[255, 255, 255, reflection / 2], mirrored]);
  }
  layers.push([white, box(0.14, waterline - 0.008, 0.86, waterline + 0.008)]);
  return layers;
}

function write(path, size, layers) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodePng(size, render(size, layers)));
}

function writeIco(path, sizes, layers) {
  writeFileSync(path, encodeIco(sizes.map((size) => ({ size, png: encodePng(size, render(size, layers)) }))));
}

/** What Windows asks an app icon for: Explorer's views up to 256 px, the taskbar and title bar below. */
export const appIcoSizes = [16, 24, 32, 48, 64, 128, 256];
/** The notification area at 100 %, 125 %, 150 %, 200 %, 250 % and 300 % scaling. */
export const trayIcoSizes = [16, 20, 24, 32, 40, 48];

function main() {
  write(join(iconsDir, 'icon.png'), 512, appLayers());
  write(join(iconsDir, 'icon-1024.png'), 1024, appLayers());
  writeIco(join(iconsDir, 'icon.ico'), appIcoSizes, appLayers());
  for (const state of Object.keys(trayShapes)) {
    for (const base of [16, 32]) {
      write(join(iconsDir, 'tray', `${state}-${base}.png`), base, trayLayers(state, false));
      write(join(iconsDir, 'tray', `${state}-${base}@2x.png`), base * 2, trayLayers(state, false));
    }
    write(join(iconsDir, 'tray', `${state}Template.png`), 16, trayLayers(state, true));
    write(join(iconsDir, 'tray', `${state}Template@2x.png`), 32, trayLayers(state, true));
    writeIco(join(iconsDir, 'tray', `${state}.ico`), trayIcoSizes, trayLayers(state, false));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
