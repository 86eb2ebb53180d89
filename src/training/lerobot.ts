/**
 * A writer of LeRobot datasets, format v3.0 (docs/training.md, "Demonstrations"), without videos:
 * camera frames are `image` features, PNG bytes embedded in the data parquet files the way LeRobot
 * embeds them (a struct of `bytes` and `path`), since no video encoder is available here.
 *
 * Layout (LeRobot's `lerobot/datasets/utils.py` and `dataset_metadata.py`):
 *   meta/info.json                                   DatasetInfo: codebase_version "v3.0", fps, features,
 *                                                     totals, chunks_size, data_files_size_in_mb,
 *                                                     video_files_size_in_mb, data_path, video_path
 *                                                     (null: no videos), robot_type, splits {"train": "0:N"}
 *   meta/stats.json                                  per feature: min, max, mean, std, count, q01…q99
 *   meta/tasks.parquet                               task_index, with the task text as the pandas index "task"
 *   meta/episodes/chunk-000/file-000.parquet         episode_index, tasks, length, data/chunk_index,
 *                                                     data/file_index, dataset_from_index, dataset_to_index,
 *                                                     stats/<feature>/<stat>, meta/episodes/chunk_index, …/file_index
 *   data/chunk-XXX/file-YYY.parquet                  one row per frame: every feature of info.json
 * A data file is closed once it reaches `data_files_size_in_mb` (new file index; a new chunk after
 * `chunks_size` files), like LeRobot's writer. Files are written with Apache Arrow's own Parquet
 * writer (arrow-rs via parquet-wasm), which stores the Arrow schema as pyarrow does, so fixed-size
 * lists and the image struct read back with their exact types.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import { encodePng } from '../sim/render/png.ts';
import { aggregateStats, imageStats, QUANTILE_KEYS, vectorStats, type Stats } from './lerobot-stats.ts';

export { aggregateStats, imageStats, QUANTILES, sampleIndices, vectorStats } from './lerobot-stats.ts';

export const LEROBOT_CODEBASE_VERSION = 'v3.0';
export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_DATA_FILE_SIZE_IN_MB = 100;
export const DEFAULT_VIDEO_FILE_SIZE_IN_MB = 200;
export const DATA_PATH = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
const EPISODES_PATH = 'meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
/** LeRobot's default quantiles, keyed q01 … q99. */

export type FeatureDtype = 'float32' | 'int64' | 'bool' | 'image';

export interface FeatureSpec {
  dtype: FeatureDtype;
  shape: number[];
  names: string[] | null;
}

/** The features LeRobot adds to every dataset (`DEFAULT_FEATURES`). */
export const DEFAULT_FEATURES: Record<string, FeatureSpec> = {
  timestamp: { dtype: 'float32', shape: [1], names: null },
  frame_index: { dtype: 'int64', shape: [1], names: null },
  episode_index: { dtype: 'int64', shape: [1], names: null },
  index: { dtype: 'int64', shape: [1], names: null },
  task_index: { dtype: 'int64', shape: [1], names: null },
};

/** One episode's frames, feature by feature (images: HWC uint8 frames; the rest: frames × width values). */
export interface EpisodeData {
  task: string;
  length: number;
  images: Record<string, Uint8Array[]>;
  values: Record<string, ArrayLike<number> | ArrayLike<boolean>>;
}

export interface DatasetInfoJson {
  codebase_version: string;
  fps: number;
  features: Record<string, FeatureSpec>;
  total_episodes: number;
  total_frames: number;
  total_tasks: number;
  chunks_size: number;
  data_files_size_in_mb: number;
  video_files_size_in_mb: number;
  data_path: string;
  video_path: string | null;
  robot_type: string | null;
  splits: Record<string, string>;
}

function formatPath(template: string, chunk: number, file: number): string {
  return template.replace('{chunk_index:03d}', String(chunk).padStart(3, '0')).replace('{file_index:03d}', String(file).padStart(3, '0'));
}

// ---------- Arrow / Parquet ----------

const IMAGE_TYPE = new arrow.Struct([new arrow.Field('bytes', new arrow.Binary(), true), new arrow.Field('path', new arrow.Utf8(), true)]);

function arrowType(spec: FeatureSpec): arrow.DataType {
  if (spec.dtype === 'image') return IMAGE_TYPE;
  const scalar = spec.dtype === 'float32' ? new arrow.Float32() : spec.dtype === 'int64' ? new arrow.Int64() : new arrow.Bool();
  if (spec.shape.length === 1 && spec.shape[0] === 1) return scalar;
  if (spec.shape.length !== 1) throw new Error(`only 1-D features are supported, got shape ${spec.shape.join('×')}`);
  return new arrow.FixedSizeList(spec.shape[0]!, new arrow.Field('item', scalar, true));
}

/** The `datasets` feature description LeRobot's `get_hf_features_from_features` would build. */
function hfFeature(spec: FeatureSpec): Record<string, unknown> {
  if (spec.dtype === 'image') return { _type: 'Image' };
  const value = { dtype: spec.dtype, _type: 'Value' };
  return spec.shape.length === 1 && spec.shape[0] === 1 ? value : { feature: value, length: spec.shape[0], _type: 'Sequence' };
}

function column(spec: FeatureSpec, rows: number, values: ArrayLike<number> | ArrayLike<boolean> | Uint8Array[]): arrow.Data {
  const type = arrowType(spec);
  if (spec.dtype === 'image') {
    const bytes = arrow.vectorFromArray(values as Uint8Array[], new arrow.Binary()).data[0]!;
    const paths = arrow.vectorFromArray(new Array(rows).fill(null), new arrow.Utf8()).data[0]!;
    return arrow.makeData({ type: type as arrow.Struct, length: rows, nullCount: 0, children: [bytes, paths] });
  }
  const width = spec.shape[0]!;
  const flat = (() => {
    if (spec.dtype === 'float32')
      return arrow.makeData({ type: new arrow.Float32(), length: rows * width, data: Float32Array.from(values as ArrayLike<number>) });
    if (spec.dtype === 'int64')
      return arrow.makeData({
        type: new arrow.Int64(),
        length: rows * width,
        data: BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v))),
      });
    return arrow.vectorFromArray(Array.from(values as ArrayLike<boolean>, Boolean), new arrow.Bool()).data[0]!;
  })();
  if (type instanceof arrow.FixedSizeList) return arrow.makeData({ type, length: rows, nullCount: 0, child: flat });
  return flat;
}

function writeParquetFile(file: string, schema: arrow.Schema, batches: arrow.RecordBatch[], metadata: Record<string, string>): void {
  const table = new arrow.Table(schema, batches);
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const kv = new Map(Object.entries(metadata));
  const props = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).setKeyValueMetadata(kv).build();
  const bytes = parquet.writeParquet(wasmTable, props);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.partial`, bytes);
  fs.renameSync(`${file}.partial`, file);
}

/** A table from plain columns whose arrow types are inferred by apache-arrow or given. */
function tableBatch(
  columns: { name: string; type: arrow.DataType; values: unknown[] }[],
  metadata?: Map<string, string>,
): { schema: arrow.Schema; batch: arrow.RecordBatch } {
  const schema = new arrow.Schema(
    columns.map((c) => new arrow.Field(c.name, c.type, true)),
    metadata,
  );
  const data = columns.map((c) => arrow.vectorFromArray(c.values, c.type).data[0]!);
  const length = columns[0]!.values.length;
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children: data }));
  return { schema, batch };
}

const listOf = (type: arrow.DataType) => new arrow.List(new arrow.Field('item', type, true));

// ---------- the writer ----------

export interface LeRobotWriterOptions {
  fps: number;
  robotType: string | null;
  /** The dataset's own features (DEFAULT_FEATURES are added). */
  features: Record<string, FeatureSpec>;
  chunksSize?: number;
  dataFilesSizeInMb?: number;
}

interface EpisodeMeta {
  episode_index: number;
  tasks: string[];
  length: number;
  chunk: number;
  file: number;
  from: number;
  to: number;
  stats: Record<string, Stats>;
}

export class LeRobotWriter {
  readonly features: Record<string, FeatureSpec>;
  private readonly schema: arrow.Schema;
  private readonly hfMetadata: string;
  private readonly chunksSize: number;
  private readonly fileLimitBytes: number;
  private readonly tasks = new Map<string, number>();
  private readonly episodes: EpisodeMeta[] = [];
  private totalFrames = 0;
  private chunk = 0;
  private file = 0;
  private pending: arrow.RecordBatch[] = [];
  private pendingBytes = 0;
  private finished = false;

  constructor(
    readonly root: string,
    private readonly options: LeRobotWriterOptions,
  ) {
    if (fs.existsSync(root) && fs.readdirSync(root).length > 0) throw new Error(`${root} exists and is not empty`);
    fs.mkdirSync(root, { recursive: true });
    for (const name of Object.keys(options.features)) if (name in DEFAULT_FEATURES) throw new Error(`feature ${name} is reserved`);
    this.features = { ...options.features, ...DEFAULT_FEATURES };
    this.chunksSize = options.chunksSize ?? DEFAULT_CHUNK_SIZE;
    this.fileLimitBytes = (options.dataFilesSizeInMb ?? DEFAULT_DATA_FILE_SIZE_IN_MB) * 1024 * 1024;
    this.hfMetadata = JSON.stringify({ info: { features: Object.fromEntries(Object.entries(this.features).map(([k, s]) => [k, hfFeature(s)])) } });
    this.schema = new arrow.Schema(
      Object.entries(this.features).map(([k, s]) => new arrow.Field(k, arrowType(s), true)),
      new Map([['huggingface', this.hfMetadata]]),
    );
  }

  get totalEpisodes(): number {
    return this.episodes.length;
  }

  addEpisode(episode: EpisodeData): void {
    if (this.finished) throw new Error('the dataset is finished');
    const n = episode.length;
    if (n < 2) throw new Error('an episode needs at least 2 frames (LeRobot computes statistics over frames)');
    const episodeIndex = this.episodes.length;
    let taskIndex = this.tasks.get(episode.task);
    if (taskIndex === undefined) {
      taskIndex = this.tasks.size;
      this.tasks.set(episode.task, taskIndex);
    }
    const defaults: Record<string, ArrayLike<number>> = {
      timestamp: Float32Array.from({ length: n }, (_, i) => i / this.options.fps),
      frame_index: Array.from({ length: n }, (_, i) => i),
      episode_index: new Array(n).fill(episodeIndex),
      index: Array.from({ length: n }, (_, i) => this.totalFrames + i),
      task_index: new Array(n).fill(taskIndex),
    };
    const children: arrow.Data[] = [];
    const stats: Record<string, Stats> = {};
    let bytes = 0;
    for (const [name, spec] of Object.entries(this.features)) {
      if (spec.dtype === 'image') {
        const frames = episode.images[name];
        if (!frames || frames.length !== n) throw new Error(`feature ${name}: expected ${n} frames`);
        const [h, w] = spec.shape as [number, number, number];
        const pngs = frames.map((f) => {
          if (f.length !== h * w * 3) throw new Error(`feature ${name}: a frame has ${f.length} bytes, ${h}×${w}×3 expected`);
          return new Uint8Array(encodePng(f, w, h));
        });
        bytes += pngs.reduce((m, p) => m + p.length, 0);
        children.push(column(spec, n, pngs));
        stats[name] = imageStats(frames);
        continue;
      }
      const values = name in defaults ? defaults[name]! : episode.values[name];
      const width = spec.shape[0]!;
      if (!values || values.length !== n * width) throw new Error(`feature ${name}: expected ${n}×${width} values, got ${values?.length ?? 0}`);
      children.push(column(spec, n, values));
      bytes += n * width * (spec.dtype === 'int64' ? 8 : 4);
      stats[name] = vectorStats(Array.from(values as ArrayLike<number>, Number), n, width);
    }
    // Close the current data file first if this episode would take it past the size limit.
    if (this.pending.length > 0 && this.pendingBytes + bytes >= this.fileLimitBytes) this.flushDataFile(true);
    this.pending.push(new arrow.RecordBatch(this.schema, arrow.makeData({ type: new arrow.Struct(this.schema.fields), length: n, nullCount: 0, children })));
    this.pendingBytes += bytes;
    this.episodes.push({
      episode_index: episodeIndex,
      tasks: [episode.task],
      length: n,
      chunk: this.chunk,
      file: this.file,
      from: this.totalFrames,
      to: this.totalFrames + n,
      stats,
    });
    this.totalFrames += n;
  }

  private flushDataFile(advance: boolean): void {
    if (this.pending.length > 0) {
      writeParquetFile(path.join(this.root, formatPath(DATA_PATH, this.chunk, this.file)), this.schema, this.pending, { huggingface: this.hfMetadata });
    }
    this.pending = [];
    this.pendingBytes = 0;
    if (advance) {
      if (this.file === this.chunksSize - 1) {
        this.file = 0;
        this.chunk += 1;
      } else this.file += 1;
    }
  }

  /** Writes the open data file and all metadata. The dataset is complete after this. */
  finish(): DatasetInfoJson {
    if (this.finished) throw new Error('the dataset is already finished');
    if (this.episodes.length === 0) throw new Error('no episode was recorded');
    this.finished = true;
    this.flushDataFile(false);
    this.writeTasks();
    this.writeEpisodes();
    const stats = Object.fromEntries(Object.keys(this.features).map((name) => [name, aggregateStats(this.episodes.map((e) => e.stats[name]!))]));
    fs.writeFileSync(path.join(this.root, 'meta', 'stats.json'), JSON.stringify(stats, null, 4));
    const info: DatasetInfoJson = {
      codebase_version: LEROBOT_CODEBASE_VERSION,
      fps: this.options.fps,
      features: this.features,
      total_episodes: this.episodes.length,
      total_frames: this.totalFrames,
      total_tasks: this.tasks.size,
      chunks_size: this.chunksSize,
      data_files_size_in_mb: this.options.dataFilesSizeInMb ?? DEFAULT_DATA_FILE_SIZE_IN_MB,
      video_files_size_in_mb: DEFAULT_VIDEO_FILE_SIZE_IN_MB,
      data_path: DATA_PATH,
      video_path: null,
      robot_type: this.options.robotType,
      splits: { train: `0:${this.episodes.length}` },
    };
    fs.writeFileSync(path.join(this.root, 'meta', 'info.json'), JSON.stringify(info, null, 4));
    return info;
  }

  private writeTasks(): void {
    // pandas' own metadata, so `pd.read_parquet` restores the task text as the index named "task" (LeRobot's load_tasks).
    const pandas = JSON.stringify({
      index_columns: ['task'],
      column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
      columns: [
        { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
        { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
      ],
      creator: { library: 'kinitro', version: '0.1.0' },
      pandas_version: '2.2.0',
    });
    const entries = [...this.tasks.entries()].sort((a, b) => a[1] - b[1]);
    const { schema, batch } = tableBatch(
      [
        { name: 'task_index', type: new arrow.Int64(), values: entries.map(([, i]) => BigInt(i)) },
        { name: 'task', type: new arrow.Utf8(), values: entries.map(([t]) => t) },
      ],
      new Map([['pandas', pandas]]),
    );
    writeParquetFile(path.join(this.root, 'meta', 'tasks.parquet'), schema, [batch], { pandas });
  }

  private writeEpisodes(): void {
    const int = new arrow.Int64();
    const big = (f: (e: EpisodeMeta) => number) => this.episodes.map((e) => BigInt(f(e)));
    const columns: { name: string; type: arrow.DataType; values: unknown[] }[] = [
      { name: 'episode_index', type: int, values: big((e) => e.episode_index) },
      { name: 'tasks', type: listOf(new arrow.Utf8()), values: this.episodes.map((e) => e.tasks) },
      { name: 'length', type: int, values: big((e) => e.length) },
      { name: 'data/chunk_index', type: int, values: big((e) => e.chunk) },
      { name: 'data/file_index', type: int, values: big((e) => e.file) },
      { name: 'dataset_from_index', type: int, values: big((e) => e.from) },
      { name: 'dataset_to_index', type: int, values: big((e) => e.to) },
    ];
    for (const [name, spec] of Object.entries(this.features)) {
      for (const key of ['min', 'max', 'mean', 'std', 'count', ...QUANTILE_KEYS]) {
        const type = key === 'count' ? listOf(int) : spec.dtype === 'image' ? listOf(listOf(listOf(new arrow.Float64()))) : listOf(new arrow.Float64());
        const values = this.episodes.map((e) => (key === 'count' ? (e.stats[name]![key] as number[]).map((v) => BigInt(v)) : e.stats[name]![key]));
        columns.push({ name: `stats/${name}/${key}`, type, values });
      }
    }
    columns.push({ name: 'meta/episodes/chunk_index', type: int, values: this.episodes.map(() => 0n) });
    columns.push({ name: 'meta/episodes/file_index', type: int, values: this.episodes.map(() => 0n) });
    const { schema, batch } = tableBatch(columns);
    writeParquetFile(path.join(this.root, formatPath(EPISODES_PATH, 0, 0)), schema, [batch], {});
  }
}
