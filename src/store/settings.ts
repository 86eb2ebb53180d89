/** Small persistent settings of this appliance (e.g. the secret that salts task seeds). */
import { randomBytes } from 'node:crypto';
import type { Database } from './db.ts';

export class Settings {
  constructor(private readonly db: Database) {}

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM appliance_settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO appliance_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Returns the stored value, creating it with `make()` on first use (atomically). */
  getOrCreate(key: string, make: () => string): string {
    return this.db
      .transaction(() => {
        const existing = this.get(key);
        if (existing !== undefined) return existing;
        const value = make();
        this.set(key, value);
        return value;
      })
      .immediate();
  }

  /** The secret mixed into every task seed, generated once per database. */
  seedSecret(): string {
    return this.getOrCreate('seed_secret', () => randomBytes(32).toString('hex'));
  }

  /** The key of the opaque executor labels on public routes (executor ids are never published). */
  executorLabelSecret(): string {
    return this.getOrCreate('executor_label_secret', () => randomBytes(32).toString('hex'));
  }
}
