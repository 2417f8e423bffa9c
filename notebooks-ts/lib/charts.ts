/**
 * Charts for the notebooks: a Vega-Lite spec compiled and rendered in Node (vega's SVG renderer, no browser),
 * rasterised to PNG with resvg, and shown inline through tslab's display API. PNG keeps the image in the
 * committed outputs, so the notebooks read on GitHub without being run.
 *
 * vega and vega-lite are imported on first use: vega-canvas (under vega) has a top-level await, so the
 * graph cannot be loaded by the kernel's synchronous require of this module, only by import().
 */
import { Resvg } from '@resvg/resvg-js';
import * as tslab from 'tslab';
import type { TopLevelSpec } from 'vega-lite';

/** A Vega-Lite spec (https://vega.github.io/vega-lite/docs/). */
export type ChartSpec = TopLevelSpec;

/** Font used for every label: one the machine has (DejaVu Sans ships with Debian's fontconfig). */
const FONT = 'DejaVu Sans';

const BASE_CONFIG = {
  font: FONT,
  axis: { labelFontSize: 12, titleFontSize: 13 },
  legend: { labelFontSize: 12, titleFontSize: 13 },
  title: { fontSize: 15 },
  view: { stroke: '#ddd' },
};

/**
 * Renders a Vega-Lite spec to an SVG string (white background, the notebooks' fonts and sizes).
 * @example const svg = await chartSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 */
export async function chartSvg(spec: ChartSpec): Promise<string> {
  const withConfig = {
    background: 'white',
    padding: 8,
    ...spec,
    config: { ...BASE_CONFIG, ...(spec.config ?? {}) },
  } as ChartSpec;
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const vegaSpec = compile(withConfig).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG to PNG bytes at `scale` times its size (2 = sharp on high-density screens).
 * @example const png = svgToPng(await chartSvg(spec));
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
    background: 'white',
  });
  return new Uint8Array(resvg.render().asPng());
}

/**
 * Renders a Vega-Lite spec to PNG bytes.
 * @example await fs.writeFile('chart.png', await chartPng(spec));
 */
export async function chartPng(spec: ChartSpec, scale = 2): Promise<Uint8Array> {
  return svgToPng(await chartSvg(spec), scale);
}

/**
 * Shows a chart inline in the notebook (a PNG display output).
 * @example await showChart({ title: 'Ratings', data: { values }, mark: 'bar', encoding: { ... } });
 */
export async function showChart(spec: ChartSpec): Promise<void> {
  tslab.display.png(await chartPng(spec));
}
