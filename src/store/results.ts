/** A cycle's published results: per-(miner, env) scores, weights and the scoring explanation. */
import type { Database } from './db.ts';
import { isoNow, type Clock } from './clock.ts';

export interface MinerScoreRow {
  cycleId: number;
  uid: number;
  hotkey: string;
  envId: string;
  successRate: number;
  meanReward: number;
  episodesCompleted: number;
  episodesFailed: number;
}

export interface WeightsU16 {
  uids: number[];
  values: number[];
}

export interface WeightsRow {
  id: number;
  cycleId: number;
  blockNumber: number;
  weights: Record<string, number>;
  weightsU16: WeightsU16;
  createdAt: string;
}

export interface CycleResults {
  scores: readonly Omit<MinerScoreRow, 'cycleId'>[];
  weights: Record<string, number>;
  weightsU16: WeightsU16;
  blockNumber: number;
  points: Record<string, number>;
  explanation: unknown;
}

interface RawScore {
  cycle_id: number;
  uid: number;
  hotkey: string;
  env_id: string;
  success_rate: number;
  mean_reward: number;
  episodes_completed: number;
  episodes_failed: number;
}

interface RawWeights {
  id: number;
  cycle_id: number;
  block_number: number;
  weights_json: string;
  weights_u16_json: string;
  created_at: string;
}

const toScore = (r: RawScore): MinerScoreRow => ({
  cycleId: r.cycle_id,
  uid: r.uid,
  hotkey: r.hotkey,
  envId: r.env_id,
  successRate: r.success_rate,
  meanReward: r.mean_reward,
  episodesCompleted: r.episodes_completed,
  episodesFailed: r.episodes_failed,
});

const toWeights = (r: RawWeights): WeightsRow => ({
  id: r.id,
  cycleId: r.cycle_id,
  blockNumber: r.block_number,
  weights: JSON.parse(r.weights_json) as Record<string, number>,
  weightsU16: JSON.parse(r.weights_u16_json) as WeightsU16,
  createdAt: r.created_at,
});

export class Results {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Writes scores, weights and explanation. The caller wraps this and the cycle's completion in one transaction. */
  save(cycleId: number, r: CycleResults): void {
    const insertScore = this.db.prepare(
      `INSERT INTO miner_scores (cycle_id, uid, hotkey, env_id, success_rate, mean_reward, episodes_completed, episodes_failed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of r.scores) insertScore.run(cycleId, s.uid, s.hotkey, s.envId, s.successRate, s.meanReward, s.episodesCompleted, s.episodesFailed);
    this.db
      .prepare(`INSERT INTO computed_weights (cycle_id, block_number, weights_json, weights_u16_json, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(cycleId, r.blockNumber, JSON.stringify(r.weights), JSON.stringify(r.weightsU16), isoNow(this.clock));
    this.db
      .prepare(`INSERT INTO cycle_explanations (cycle_id, points_json, explanation_json) VALUES (?, ?, ?)`)
      .run(cycleId, JSON.stringify(r.points), JSON.stringify(r.explanation ?? null));
  }

  scoresForCycle(cycleId: number): MinerScoreRow[] {
    return (this.db.prepare('SELECT * FROM miner_scores WHERE cycle_id = ? ORDER BY id').all(cycleId) as RawScore[]).map(toScore);
  }

  /** The row with the largest block number (docs/original.md §1.6), newest first among equals. */
  latestWeights(): WeightsRow | undefined {
    const r = this.db.prepare('SELECT * FROM computed_weights ORDER BY block_number DESC, id DESC LIMIT 1').get() as RawWeights | undefined;
    return r ? toWeights(r) : undefined;
  }

  weightsAtBlock(blockNumber: number): WeightsRow | undefined {
    const r = this.db.prepare('SELECT * FROM computed_weights WHERE block_number = ? ORDER BY id DESC LIMIT 1').get(blockNumber) as RawWeights | undefined;
    return r ? toWeights(r) : undefined;
  }

  weightsForCycle(cycleId: number): WeightsRow | undefined {
    const r = this.db.prepare('SELECT * FROM computed_weights WHERE cycle_id = ? ORDER BY id DESC LIMIT 1').get(cycleId) as RawWeights | undefined;
    return r ? toWeights(r) : undefined;
  }

  explanation(cycleId: number): { points: Record<string, number>; explanation: unknown } | undefined {
    const r = this.db.prepare('SELECT points_json, explanation_json FROM cycle_explanations WHERE cycle_id = ?').get(cycleId) as
      { points_json: string; explanation_json: string } | undefined;
    return r ? { points: JSON.parse(r.points_json) as Record<string, number>, explanation: JSON.parse(r.explanation_json) as unknown } : undefined;
  }

  countDistinctMiners(): number {
    return (this.db.prepare('SELECT count(DISTINCT uid) AS n FROM miner_scores').get() as { n: number }).n;
  }

  /** One miner's per-env scores across completed cycles, most recent first. */
  minerHistory(uid: number, limit: number): { cycleId: number; blockNumber: number; completedAt: string | null; scores: MinerScoreRow[] }[] {
    const cycles = this.db
      .prepare(
        `SELECT DISTINCT c.id, c.block_number, c.completed_at FROM miner_scores s JOIN evaluation_cycles c ON c.id = s.cycle_id
         WHERE s.uid = ? ORDER BY c.id DESC LIMIT ?`,
      )
      .all(uid, limit) as { id: number; block_number: number; completed_at: string | null }[];
    const scores = this.db.prepare('SELECT * FROM miner_scores WHERE cycle_id = ? AND uid = ? ORDER BY id');
    return cycles.map((c) => ({
      cycleId: c.id,
      blockNumber: c.block_number,
      completedAt: c.completed_at,
      scores: (scores.all(c.id, uid) as RawScore[]).map(toScore),
    }));
  }
}
