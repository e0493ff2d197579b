/**
 * `npm run bench:photos`: how long the worker takes to process one 12-megapixel photo
 * (src/photos/render.ts: decode, orient, strip, display JPEG and 320 px thumbnail) and
 * how much memory it holds meanwhile.
 *
 * The rendering runs in a child process started as the worker is (`node
 * --max-old-space-size=256`), one photo at a time as the `image-processing` queue does;
 * this process samples the child's resident memory (VmRSS) every 10 ms. The child gets
 * `MALLOC_ARENA_MAX=2` as in Dockerfile.worker unless the environment sets another. The photo is a
 * synthetic 4000 × 3000 JPEG with EXIF orientation 6 and structure at several scales
 * (a phone photo's size, 2–5 MB, not the incompressible size of pure noise). S3 and
 * Postgres are left out: their calls are the same few milliseconds for any photo.
 *
 *   npm run bench:photos -- [--photos 10] [--warmup 2]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { renderPhoto } from '../src/photos/render.js';
import { residentMiB } from './lib/cpu.js';
import os from 'node:os';

const WIDTH = 4000;
const HEIGHT = 3000;

async function makePhoto(): Promise<Buffer> {
  // Coarse noise scaled up, plus fine noise: compresses like a photo, not like static.
  const coarse = await sharp({
    create: {
      width: 400,
      height: 300,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  const fine = await sharp({
    create: {
      width: WIDTH,
      height: HEIGHT,
      channels: 3,
      background: '#000000',
      noise: { type: 'gaussian', mean: 0, sigma: 8 },
    },
  })
    .png()
    .toBuffer();
  return sharp(coarse)
    .resize(WIDTH, HEIGHT, { kernel: 'cubic' })
    .composite([{ input: fine, blend: 'add' }])
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Make: 'Bench', Model: 'Phone' }, IFD2: { DateTimeOriginal: '2026:12:04 10:00:00' } })
    .toBuffer();
}

async function child(photos: number, warmup: number): Promise<void> {
  const photo = await makePhoto();
  const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
  send({ ready: true, bytes: photo.length });
  await new Promise((resolve) => process.stdin.once('data', resolve)); // the parent's baseline is read
  const seconds: number[] = [];
  for (let index = 0; index < warmup + photos; index += 1) {
    const started = performance.now();
    const rendered = await renderPhoto(
      photo,
      'image/jpeg',
      { maxPixels: 50_000_000, timeoutSeconds: 30 },
      'UTC',
    );
    if (index >= warmup) seconds.push((performance.now() - started) / 1000);
    if (index === 0)
      send({
        width: rendered.width,
        height: rendered.height,
        display: rendered.display.length,
        thumbnail: rendered.thumbnail.length,
      });
  }
  send({ seconds });
}

async function parent(photos: number, warmup: number): Promise<void> {
  const worker = spawn(
    process.execPath,
    [
      '--max-old-space-size=256',
      '--import',
      'tsx',
      import.meta.filename,
      '--child',
      '--photos',
      String(photos),
      '--warmup',
      String(warmup),
    ],
    // As the worker image runs (Dockerfile.worker): two malloc arenas.
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
    },
  );
  const messages: Array<Record<string, unknown>> = [];
  let buffered = '';
  let baseline: number | undefined;
  let peak = 0;
  const sampler = setInterval(() => {
    const rss = worker.pid ? residentMiB(worker.pid) : undefined;
    if (rss !== undefined && baseline !== undefined) peak = Math.max(peak, rss);
  }, 10);
  worker.stdout.setEncoding('utf8');
  worker.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const message = JSON.parse(buffered.slice(0, end)) as Record<string, unknown>;
      buffered = buffered.slice(end + 1);
      messages.push(message);
      if (message.ready) {
        baseline = residentMiB(worker.pid!) ?? 0;
        worker.stdin.end('go\n');
      }
    }
  });
  const code = await new Promise<number | null>((resolve) => worker.on('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the rendering process exited with ${code}`);
  const seconds = (messages.find((message) => message.seconds)?.seconds as number[]).sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)]!;
  const output = messages.find((message) => message.width);
  const input = messages.find((message) => message.ready);
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
  console.log(
    `${os.availableParallelism()} CPUs (${model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`,
  );
  console.log(
    `12 MP photo (${WIDTH} × ${HEIGHT}, ${((input?.bytes as number) / 1e6).toFixed(1)} MB JPEG, orientation 6) → display ` +
      `${String(output?.width)} × ${String(output?.height)} (${((output?.display as number) / 1e6).toFixed(1)} MB) + thumbnail (${String(output?.thumbnail)} B)`,
  );
  console.log(
    `per photo: median ${median.toFixed(2)} s, min ${seconds[0]!.toFixed(2)} s, max ${seconds.at(-1)!.toFixed(2)} s over ${seconds.length} (after ${warmup} warm-up)`,
  );
  console.log(
    `worker RSS (MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}): ${baseline!.toFixed(0)} MiB before the first photo, peak ${peak.toFixed(0)} MiB while processing`,
  );
}

const { values } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    photos: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
  },
});
const photos = Number(values.photos);
const warmup = Number(values.warmup);
await (values.child ? child(photos, warmup) : parent(photos, warmup));
