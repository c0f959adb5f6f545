import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Where the slow test files live, slowest first: a browser or crash test takes 10–70 s, a unit
 * test milliseconds.
 */
const TIERS = ['test/reliability/', 'test/browser/', 'test/integration/', 'test/unit/'];

/**
 * Orders test files so the slow ones start first: two workers then finish together instead of
 * one running a 60 s file alone at the end. Vitest does this itself from the durations of an
 * earlier run; on a clean checkout (CI) it has none and keeps the files' glob order, which put a
 * 57 s crash test last (`npm test` 627 s). Without durations for every file, files go by folder
 * ({@link TIERS}), then larger first; projects keep vitest's order.
 */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const path = (f: TestSpecification) => relative(root, f.moduleId);
    const timed = files.every((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${path(f)}`) !== undefined);
    if (timed) return super.sort(files);
    // Each file's place, found once (a comparator runs O(n log n) times): project, folder, size.
    const place = new Map(
      files.map((f) => {
        const tier = TIERS.findIndex((t) => path(f).startsWith(t));
        return [f, { project: f.project.name, tier: tier < 0 ? TIERS.length : tier, size: statSync(f.moduleId).size }] as const;
      }),
    );
    return [...files].sort((x, y) => {
      const a = place.get(x)!;
      const b = place.get(y)!;
      return (a.project < b.project ? -1 : a.project > b.project ? 1 : 0) || a.tier - b.tier || b.size - a.size;
    });
  }
}
