/**
 * The chart of docs/benchmarks.md "Popularity bias": what each diversity method buys (catalogue coverage@10,
 * mean popularity rank) for what it costs (NDCG@10), from the JSON reports of
 * `recsys evaluate --task diversity --json`. Rendered with the notebooks' Vega-Lite -> SVG -> resvg path.
 *
 *   node --import tsx bench/diversity-chart.ts docs/diversity out/ml-1m.json out/ml-latest-small.json
 *
 * writes docs/diversity.svg and docs/diversity.png.
 */
import fs from 'node:fs/promises';
import { chartSvg, svgToPng, type ChartSpec } from '../notebooks-ts/lib/charts.js';
import type { DiversityExperimentReport } from '../src/eval/diversity.js';

const [outBase, ...inputs] = process.argv.slice(2);
if (!outBase || inputs.length === 0) {
  process.stderr.write('usage: diversity-chart.ts <out base> <report.json>...\n');
  process.exit(64);
}
const values = [];
for (const file of inputs) {
  const report = JSON.parse(await fs.readFile(file, 'utf8')) as DiversityExperimentReport;
  for (const r of report.rows) {
    values.push({
      dataset: report.dataset,
      series: `${r.model} / ${r.method}`,
      model: r.model,
      method: r.method,
      diversity: r.diversity,
      ndcg: r.ndcg,
      'coverage@10': r.coverage,
      'long-tail share': r.longTailShare,
      'mean popularity rank': r.meanPopularityRank,
    });
  }
}
const spec: ChartSpec = {
  title: 'Diversity re-ranking: accuracy given up (x) for coverage, long tail, less popular movies (y)',
  data: { values },
  transform: [{ fold: ['coverage@10', 'long-tail share', 'mean popularity rank'], as: ['figure', 'value'] }],
  facet: {
    row: { field: 'figure', type: 'nominal', title: null },
    column: { field: 'dataset', type: 'nominal', title: null },
  },
  spec: {
    width: 320,
    height: 220,
    layer: [
      {
        mark: { type: 'line' },
        encoding: {
          x: { field: 'ndcg', type: 'quantitative', title: 'NDCG@10', scale: { zero: false } },
          y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          color: { field: 'method', type: 'nominal', title: 'method' },
          strokeDash: { field: 'model', type: 'nominal', title: 'model' },
          detail: { field: 'series', type: 'nominal' },
          order: { field: 'diversity', type: 'quantitative' },
        },
      },
      {
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'ndcg', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'method', type: 'nominal' },
        },
      },
      {
        mark: { type: 'text', dx: 6, dy: -6, fontSize: 9 },
        transform: [{ filter: "datum.method === 'popularity'" }],
        encoding: {
          x: { field: 'ndcg', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          text: { field: 'diversity', type: 'quantitative' },
        },
      },
    ],
  },
  resolve: { scale: { x: 'independent', y: 'independent' } },
};
const svg = await chartSvg(spec);
await fs.writeFile(`${outBase}.svg`, svg);
await fs.writeFile(`${outBase}.png`, svgToPng(svg));
process.stdout.write(`wrote ${outBase}.svg and ${outBase}.png\n`);
