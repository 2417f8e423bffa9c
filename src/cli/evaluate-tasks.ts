/**
 * The tables of `recsys evaluate --task similar`, `--task cold-start` and `--task diversity` (issue 15): the
 * protocols live in src/eval/similar.ts, cold-start.ts and diversity.ts; this file parses their flags and
 * prints their reports.
 */
import { ValidationError } from '../core/errors.js';
import type { ColdStartReport } from '../eval/cold-start.js';
import type { DiversityExperimentReport } from '../eval/diversity.js';
import type { SimilarExperimentReport, SimilarModelReport } from '../eval/similar.js';
import { DIVERSITY_METHODS, type DiversityMethod } from '../models/diversity.js';
import { formatTable } from './evaluate.js';

/**
 * `--diversity 0,0.25,0.5,1`: the levels, each in 0..1.
 * @example parseLevels('0,0.5'); // [0, 0.5]
 */
export function parseLevels(text: string, flag = '--diversity'): number[] {
  const levels = text.split(',').map((s) => s.trim());
  return levels.map((s) => {
    const v = Number(s);
    if (s === '' || !(v >= 0 && v <= 1)) throw new ValidationError(flag, `'${s}' is not a number in 0..1`);
    return v;
  });
}

/**
 * `--diversity-methods popularity,calibration`: names of DIVERSITY_METHODS.
 * @example parseMethods('popularity'); // ['popularity']
 */
export function parseMethods(text: string, flag = '--diversity-methods'): DiversityMethod[] {
  return text.split(',').map((s) => {
    const m = s.trim();
    if (!(DIVERSITY_METHODS as readonly string[]).includes(m)) {
      throw new ValidationError(flag, `unknown method '${m}'; use ${DIVERSITY_METHODS.join(', ')}`);
    }
    return m as DiversityMethod;
  });
}

/**
 * One row per model: NDCG@k and Recall@k with each pick count (train items excluded, then picks only
 * excluded, as served) and with the full history.
 * @example process.stdout.write(formatColdStart(report));
 */
export function formatColdStart(report: ColdStartReport): string {
  const k = report.k;
  const lines = [
    `${report.dataset}: cold start from ${report.picks.join(' or ')} picks (${report.protocol} split; picks = ` +
      `random train positives, seed ${report.seed}); ${report.users} users with a test positive and >= ` +
      `${Math.max(...report.picks)} train positives (of ${report.usersWithTestPositive}); k = ${k}`,
    'train items excluded unless marked "served" (picks only excluded, as the cold-start route does)',
    '',
  ];
  const head = ['model'];
  for (const p of report.picks) head.push(`${p} picks ndcg@${k}`, `recall@${k}`);
  for (const p of report.picks) head.push(`${p} served ndcg@${k}`, `recall@${k}`);
  head.push(`full ndcg@${k}`, `recall@${k}`, 'fit s', 'eval s');
  const rows = Object.entries(report.models).map(([kind, m]) => {
    const cells = [kind];
    const f = (x: { ndcg: number; recall: number } | undefined) => [
      (x?.ndcg ?? 0).toFixed(4),
      (x?.recall ?? 0).toFixed(4),
    ];
    for (const p of report.picks) cells.push(...f(m.protocol[String(p)]));
    for (const p of report.picks) cells.push(...f(m.served[String(p)]));
    cells.push(...f(m.full), m.fit_seconds.toFixed(2), m.evaluate_seconds.toFixed(2));
    return cells;
  });
  lines.push(...formatTable(head, rows));
  return `${lines.join('\n')}\n`;
}

/**
 * One row per model, method and level: NDCG@k, Recall@k, coverage@k, long-tail share, mean popularity rank.
 * @example process.stdout.write(formatDiversity(report));
 */
export function formatDiversity(report: DiversityExperimentReport): string {
  const k = report.k;
  const lines = [
    `${report.dataset}: diversity re-ranking of each user's top ${report.candidates} (${report.protocol} split); ` +
      `${report.usersEvaluated} users; long tail = all but the ${report.headItems} most popular of ` +
      `${report.items} items (they hold ${report.headShare * 100}% of train positives); k = ${k}`,
    '',
  ];
  const head = [
    'model',
    'method',
    'diversity',
    `ndcg@${k}`,
    `recall@${k}`,
    `coverage@${k}`,
    'long-tail share',
    'mean pop rank',
    'mean positives',
  ];
  const rows = report.rows.map((r) => [
    r.model,
    r.method,
    String(r.diversity),
    r.ndcg.toFixed(4),
    r.recall.toFixed(4),
    r.coverage.toFixed(4),
    `${(r.longTailShare * 100).toFixed(2)}%`,
    r.meanPopularityRank.toFixed(1),
    r.meanPopularity.toFixed(1),
  ]);
  lines.push(...formatTable(head, rows));
  return `${lines.join('\n')}\n`;
}

/**
 * The table of `recsys evaluate --task similar`: one row per model, HR@k, NDCG@k, the share of answers among
 * movies with fewer than 5 training ratings, coverage, fit and evaluation seconds.
 * @example process.stdout.write(formatSimilar(report));
 */
export function formatSimilar(report: SimilarExperimentReport): string {
  const s = report.split;
  const k = report.k;
  const order =
    report.order === 'temporal'
      ? 'last positive given the one before it (by time)'
      : `two random positives per user (seed ${s.seed ?? ''}; no timestamps)`;
  const lines = [
    `${report.dataset}: similar movies, ${order}; ${s.queries} users (one query each), k = ${k}`,
    '',
  ];
  const head = [
    'model',
    `hitrate@${k}`,
    `ndcg@${k}`,
    `rare<5 share@${k}`,
    `coverage@${k}`,
    'fit s',
    'eval s',
  ];
  const entries: [string, SimilarModelReport][] = [
    ...(Object.entries(report.models) as [string, SimilarModelReport][]),
    ['served (co-rating)', report.served],
  ];
  const rows = entries.map(([kind, m]) => [
    kind,
    (m[`hitrate@${k}`] as number).toFixed(4),
    (m[`ndcg@${k}`] as number).toFixed(4),
    `${((m[`rareShare@${k}`] as number) * 100).toFixed(2)}%`,
    (m[`coverage@${k}`] as number).toFixed(4),
    m.fit_seconds.toFixed(2),
    m.evaluate_seconds.toFixed(2),
  ]);
  lines.push(...formatTable(head, rows));
  return `${lines.join('\n')}\n`;
}
