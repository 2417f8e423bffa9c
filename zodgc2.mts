import { z } from 'zod';
const mode = process.env.MODE;
const schema = mode === 'plain' ? z.object({ k: z.string() }) : mode === 'tr' ? z.object({ k: z.string().transform((t) => Number(t)) }) : mode === 'str' ? z.string() : z.object({ k: z.string().optional() });
let n = 0; const t0 = performance.now(); let sink: unknown;
function batch() {
  for (let i = 0; i < 500; i++) {
    if (mode === 'js') { sink = { a: { b: [String(i)], c: { d: i } }, e: [1, 2, 3].map((x) => x * i) }; }
    else { const r = schema.safeParse(mode === 'str' ? String(i) : { k: String(i % 100) }); if (!r.success) throw new Error(); }
    n++;
  }
  if (performance.now() - t0 < 2000) setImmediate(batch); else console.log('done', n, typeof sink);
}
batch();
