import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { PNG } from 'pngjs';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/store.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { rendererImageHook } from '../src/sim/evaluation.ts';
import { decodeImage } from '../src/sim/protocol.ts';
import { CameraRenderer } from '../src/sim/render/index.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { aggregateStats, imageStats, sampleIndices, vectorStats } from '../src/training/lerobot.ts';
import { actionFromVector, stateVector } from '../src/training/record.ts';

/** The fields of LeRobot's `DatasetInfo` (lerobot/datasets/utils.py, codebase v3.0); `tools` is dropped when unset. */
const LEROBOT_INFO_FIELDS = [
  'codebase_version',
  'fps',
  'features',
  'total_episodes',
  'total_frames',
  'total_tasks',
  'chunks_size',
  'data_files_size_in_mb',
  'video_files_size_in_mb',
  'data_path',
  'video_path',
  'robot_type',
  'splits',
];
/** LeRobot's DEFAULT_FEATURES (lerobot/utils/constants.py). */
const DEFAULT_FEATURES = {
  timestamp: { dtype: 'float32', shape: [1], names: null },
  frame_index: { dtype: 'int64', shape: [1], names: null },
  episode_index: { dtype: 'int64', shape: [1], names: null },
  index: { dtype: 'int64', shape: [1], names: null },
  task_index: { dtype: 'int64', shape: [1], names: null },
};
const STAT_KEYS = ['count', 'max', 'mean', 'min', 'q01', 'q10', 'q50', 'q90', 'q99', 'std'];

async function readParquet(file: string, columns?: string[]): Promise<Record<string, any>[]> {
  const b = fs.readFileSync(file);
  return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), utf8: false, ...(columns ? { columns } : {}) });
}

function pngRgb(bytes: Uint8Array): Uint8Array {
  const png = PNG.sync.read(Buffer.from(bytes));
  const out = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = png.data[4 * i + c]!;
  return out;
}

const text = (v: unknown) => (typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8'));

test('statistics follow LeRobot: numpy quantiles, sampled frames, (3,1,1) image stats in [0,1], pooled aggregation', (t) => {
  const s = vectorStats([1, 10, 2, 20, 3, 30, 4, 40], 4, 2);
  t.deepEqual(s.min, [1, 10]);
  t.deepEqual(s.max, [4, 40]);
  t.deepEqual(s.mean, [2.5, 25]);
  t.deepEqual(s.count, [4]);
  t.true(Math.abs((s.q50 as number[])[0]! - 2.5) < 1e-12);
  t.true(Math.abs((s.q10 as number[])[1]! - 13) < 1e-12, 'linear interpolation like np.quantile');
  t.true(Math.abs((s.std as number[])[0]! - Math.sqrt(1.25)) < 1e-12);
  t.deepEqual(sampleIndices(3), [0, 1, 2]);
  t.is(sampleIndices(1000).length, 177, "LeRobot's estimate_num_samples at 1000 frames");
  const frame = new Uint8Array(12).fill(51);
  const img = imageStats([frame, frame]);
  t.deepEqual(img.mean, [[[0.2]], [[0.2]], [[0.2]]]);
  t.deepEqual(img.count, [2]);
  const agg = aggregateStats([vectorStats([0, 2], 2, 1), vectorStats([4, 6], 2, 1)]);
  t.deepEqual(agg.mean, [3]);
  t.deepEqual(agg.count, [4]);
  t.true(Math.abs((agg.std as number[])[0]! - Math.sqrt(5)) < 1e-12);
});

test('kinitro dataset record writes a LeRobot v3.0 dataset that reads back and replays frame for frame', async (t) => {
  t.timeout(300_000);
  const out = path.join(tempDir('kinitro-dataset-'), 'demo');
  const r = await runCli(
    [
      'dataset',
      'record',
      '--policy',
      'oracle',
      '--env',
      'metaworld/reach-v3,metaworld/drawer-open-v3',
      '--episodes',
      '2',
      '--seed',
      '0',
      '--max-steps',
      '90',
      '--file-size-mb',
      '1',
      '--out',
      out,
      '--json',
    ],
    { timeoutMs: 280_000 },
  );
  t.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { total_episodes: number; total_frames: number };
  t.is(summary.total_episodes, 4);

  // meta/info.json: exactly LeRobot's DatasetInfo fields, for codebase v3.0.
  const info = JSON.parse(fs.readFileSync(path.join(out, 'meta', 'info.json'), 'utf8'));
  t.deepEqual(Object.keys(info).sort(), [...LEROBOT_INFO_FIELDS].sort());
  t.like(info, {
    codebase_version: 'v3.0',
    fps: 80,
    total_episodes: 4,
    total_tasks: 2,
    chunks_size: 1000,
    data_files_size_in_mb: 1,
    video_path: null,
    data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
    splits: { train: '0:4' },
  });
  t.is(info.total_frames, summary.total_frames);
  for (const [name, spec] of Object.entries(DEFAULT_FEATURES)) t.deepEqual(info.features[name], spec);
  t.deepEqual(info.features['observation.images.corner'], { dtype: 'image', shape: [84, 84, 3], names: ['height', 'width', 'channels'] });
  t.deepEqual(info.features['observation.state'].shape, [14]);
  t.deepEqual(info.features.action.shape, [7]);

  // meta/tasks.parquet: task_index with the task text as pandas' index "task".
  const tasksFile = path.join(out, 'meta', 'tasks.parquet');
  const tasks = await readParquet(tasksFile);
  t.deepEqual(
    tasks.map((row) => [Number(row.task_index), text(row.task)]),
    [
      [0, 'metaworld/reach-v3: Move the gripper to a goal position.'],
      [1, 'metaworld/drawer-open-v3: Pull a drawer open by its handle.'],
    ],
  );
  const tb = fs.readFileSync(tasksFile);
  const pandas = JSON.parse(
    parquetMetadata(tb.buffer.slice(tb.byteOffset, tb.byteOffset + tb.byteLength)).key_value_metadata!.find((kv) => kv.key === 'pandas')!.value!,
  );
  t.deepEqual(pandas.index_columns, ['task']);

  // meta/episodes: where each episode's frames are, and its stats.
  const episodes = await readParquet(path.join(out, 'meta', 'episodes', 'chunk-000', 'file-000.parquet'));
  t.is(episodes.length, 4);
  for (const key of [
    'episode_index',
    'tasks',
    'length',
    'data/chunk_index',
    'data/file_index',
    'dataset_from_index',
    'dataset_to_index',
    'meta/episodes/chunk_index',
    'meta/episodes/file_index',
  ])
    t.true(key in episodes[0]!, key);
  for (const feature of Object.keys(info.features))
    for (const stat of STAT_KEYS) t.true(`stats/${feature}/${stat}` in episodes[0]!, `stats/${feature}/${stat}`);
  t.deepEqual(episodes[0]!['stats/observation.images.corner/mean'].length, 3);

  const stats = JSON.parse(fs.readFileSync(path.join(out, 'meta', 'stats.json'), 'utf8'));
  t.deepEqual(Object.keys(stats).sort(), Object.keys(info.features).sort());
  for (const feature of Object.keys(stats)) t.deepEqual(Object.keys(stats[feature]).sort(), STAT_KEYS);
  t.is(stats.index.count[0], info.total_frames);
  for (const v of stats['observation.images.corner2'].mean.flat(2)) t.true(v > 0 && v < 1);

  // data/: more than one file (1 MB limit), every feature a column, rows in index order.
  const dataFiles = fs.readdirSync(path.join(out, 'data', 'chunk-000')).sort();
  t.true(dataFiles.length >= 2, `several data files: ${dataFiles.join(', ')}`);
  const rows: Record<string, any>[] = [];
  for (const f of dataFiles) {
    const file = path.join(out, 'data', 'chunk-000', f);
    const fileRows = await readParquet(file);
    for (const row of fileRows) row.__file = Number(f.slice(5, 8));
    rows.push(...fileRows);
    const b = fs.readFileSync(file);
    const kv = parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)).key_value_metadata!;
    t.true(kv.some((e) => e.key === 'huggingface') && kv.some((e) => e.key === 'ARROW:schema'));
  }
  t.is(rows.length, info.total_frames);
  t.deepEqual(
    Object.keys(rows[0]!)
      .filter((k) => k !== '__file')
      .sort(),
    Object.keys(info.features).sort(),
  );
  t.deepEqual(
    rows.map((row) => Number(row.index)),
    rows.map((_, i) => i),
  );

  // Replay every episode on its instance: the stored frames are what the environment shows.
  const recording = JSON.parse(fs.readFileSync(path.join(out, 'meta', 'kinitro.json'), 'utf8')) as {
    episodes: { episode_index: number; env_id: any; instance: string; success: boolean }[];
  };
  const renderer = new CameraRenderer();
  try {
    for (const meta of episodes) {
      const index = Number(meta.episode_index);
      const ep = recording.episodes[index]!;
      const from = Number(meta.dataset_from_index);
      const to = Number(meta.dataset_to_index);
      const frames = rows.slice(from, to);
      t.is(frames.length, Number(meta.length));
      t.true(frames.every((row, i) => Number(row.episode_index) === index && Number(row.frame_index) === i && row.__file === Number(meta['data/file_index'])));
      t.true(Math.abs(frames[1]!.timestamp - 1 / 80) < 1e-6);
      t.deepEqual(text(meta.tasks[0]), text(tasks[Number(frames[0]!.task_index)]!.task));
      const env = await ManipulationEnv.create(ep.env_id, { maxSteps: 90, imageHook: rendererImageHook(renderer) });
      try {
        let observation = env.reset(generateTask(ep.env_id, ep.instance));
        for (let i = 0; i < frames.length; i++) {
          const row = frames[i]!;
          for (const cam of ['corner', 'corner2']) {
            t.true(
              Buffer.from(pngRgb(row[`observation.images.${cam}`].bytes)).equals(Buffer.from(decodeImage(observation.rgb[cam]!))),
              `episode ${index} frame ${i} ${cam}`,
            );
          }
          t.deepEqual(row['observation.state'], stateVector(observation).map(Math.fround), `episode ${index} frame ${i} state`);
          t.deepEqual(row['observation.cam_intrinsics.corner'], observation.cam_intrinsics.corner!.flat().map(Math.fround));
          const result = env.step(actionFromVector(row.action));
          t.is(row['next.reward'], Math.fround(result.reward));
          t.is(row['next.done'], result.done);
          t.is(row['next.success'], result.success);
          observation = result.observation;
        }
        t.true(frames[frames.length - 1]!['next.done']);
        t.is(env.success, ep.success);
      } finally {
        env.close();
      }
    }
  } finally {
    renderer.destroy();
  }
  t.true(
    recording.episodes.some((e) => e.success),
    'the oracle succeeds on these instances',
  );
});
