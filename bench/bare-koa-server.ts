/**
 * The reference of `npm run bench:api`: a bare Koa app with one route that returns a fixed JSON body, no
 * validation, no database, no model. Started by bench/api.bench.ts as a child process:
 * `node --import tsx bench/bare-koa-server.ts <port> <body-file>`.
 */
import fs from 'node:fs';
import http from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';

const port = Number(process.argv[2]);
const body = fs.readFileSync(String(process.argv[3]), 'utf8');

const app = new Koa();
const router = new Router();
router.get('/users/:id/recommendations', (ctx) => {
  ctx.type = 'application/json';
  ctx.body = body;
});
app.use(router.routes());
const server = http.createServer(app.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
