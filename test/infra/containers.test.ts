import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { hasCommand, read, run } from './support.js';

/**
 * No Docker daemon runs here, so the images are checked as text: each Dockerfile parsed with dockerfile-ast
 * (pinned bases, a non-root USER and a HEALTHCHECK in the final stage, dependencies from the lockfile only,
 * the role chosen by the command), .dockerignore keeping data, artifacts, node_modules and secrets out, and
 * docker-compose.yml through Debian's `docker-compose config` plus the order of its one-shot jobs.
 */

interface Stage {
  from: From;
  name: string | null;
  instructions: Instruction[];
}

function stages(file: string): Stage[] {
  const dockerfile = DockerfileParser.parse(read(file));
  const out: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      out.push({ from, name: from.getBuildStage(), instructions: [] });
    } else {
      out[out.length - 1]?.instructions.push(instruction);
    }
  }
  return out;
}

const args = (i: Instruction): string => i.getArgumentsContent() ?? '';
const keyword = (stage: Stage, k: string): Instruction[] =>
  stage.instructions.filter((i) => i.getKeyword() === k);

describe.each([
  { file: 'Dockerfile.cpu', tf: '@tensorflow/tfjs-node-gpu', base: /^node$/, defaultCmd: '["serve"]' },
  {
    file: 'Dockerfile.gpu',
    tf: '@tensorflow/tfjs-node',
    base: /^nvidia\/cuda$/,
    defaultCmd: '["train", "--source", "db", "--evaluate", "--no-promote"]',
  },
])('$file (dockerfile-ast)', ({ file, tf, base, defaultCmd }) => {
  const all = stages(file);
  const final = all[all.length - 1] as Stage;
  const names = new Set(all.map((s) => s.name).filter((n) => n !== null));

  it('pins every base image by exact version tag or digest (no latest, no floating major)', () => {
    for (const { from } of all) {
      const image = from.getImageName() ?? '';
      if (names.has(image)) continue; // a previous stage
      const tag = from.getImageTag();
      const digest = from.getImageDigest();
      expect(digest !== null || (tag !== null && /^\d+\.\d+\.\d+/.test(tag)), `${image}:${tag}`).toBe(true);
      expect(tag).not.toBe('latest');
    }
    expect(final.from.getImageName()).toMatch(base);
  });

  it('installs with npm ci --omit=dev from the lockfile (never npm install), in a build stage', () => {
    const runs = all.flatMap((s) => keyword(s, 'RUN').map(args));
    expect(runs.some((r) => /npm ci --omit=dev\b/.test(r))).toBe(true);
    for (const r of runs) expect(r, r).not.toMatch(/npm (install|i)\b|yarn add|npx --yes/);
    const copies = all.flatMap((s) => keyword(s, 'COPY').map(args));
    expect(copies.some((c) => c.includes('package-lock.json'))).toBe(true);
    // The other TensorFlow build is dropped from this image.
    expect(runs.some((r) => r.includes(`rm -rf node_modules/${tf}`))).toBe(true);
    // The final stage copies dependencies from a build stage and runs no npm itself.
    expect(keyword(final, 'RUN').map(args).join(' ')).not.toMatch(/npm/);
  });

  it('final stage: numeric non-root USER, HEALTHCHECK, one image for every role by its command', () => {
    const users = keyword(final, 'USER').map(args);
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1] as string).split(':')[0] as string;
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    expect(keyword(final, 'HEALTHCHECK')).toHaveLength(1);
    expect(keyword(final, 'ENTRYPOINT').map(args)).toEqual(['["node", "bin/recsys.js"]']);
    expect(keyword(final, 'CMD').map(args)).toEqual([defaultCmd]);
    // No credentials baked in: Workload Identity / ADC at run time.
    const env = keyword(final, 'ENV').map(args).join(' ');
    expect(env).not.toMatch(/GOOGLE_APPLICATION_CREDENTIALS|TOKEN|PASSWORD|DATABASE_URL/);
    expect(all.flatMap((s) => keyword(s, 'COPY').map(args)).join(' ')).not.toMatch(
      /\.json\s+\/|credentials|\.pem|\.key/,
    );
  });
});

describe('.dockerignore', () => {
  it('keeps data, artifacts, dependencies, git history and secrets out of the build context', () => {
    const lines = new Set(
      read('.dockerignore')
        .split('\n')
        .map((l) => l.trim()),
    );
    for (const entry of [
      'node_modules',
      'data',
      'artifacts',
      '.git',
      '**/*.tfstate',
      '**/*.tfvars',
      '.env',
    ]) {
      expect(lines, entry).toContain(entry);
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true });

  it('runs postgres (healthcheck, named volume), migrate -> seed -> train once and in order, then api; jupyter', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['api', 'jupyter', 'migrate', 'postgres', 'seed', 'train']);
    expect(s.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(s.postgres.volumes[0]).toMatch(/^pgdata:/);
    expect(Object.keys(compose.volumes)).toContain('pgdata');
    expect(s.migrate.command).toEqual(['db', 'migrate']);
    expect(s.migrate.depends_on.postgres.condition).toBe('service_healthy');
    expect(s.seed.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(s.train.command).toEqual(['train', '--source', 'db']);
    expect(s.train.depends_on.seed.condition).toBe('service_completed_successfully');
    for (const job of ['migrate', 'seed', 'train']) {
      expect(s.api.depends_on[job].condition).toBe('service_completed_successfully');
      expect(s[job].restart).toBe('no');
    }
    expect(s.api.command).toEqual(['serve']);
    expect(s.jupyter.build.target).toBe('jupyter');
  });

  it('passes the environment variables the README documents (and only those)', () => {
    const readme = read('README.md');
    const env = { ...compose.services.api.environment };
    for (const name of Object.keys(env)) {
      if (name === 'RECSYS_SHUTDOWN_DELAY_MS') continue; // documented by the API work
      expect(readme, name).toContain(`\`${name}\``);
    }
  });

  const HAS_COMPOSE = hasCommand('docker-compose');
  it.skipIf(!HAS_COMPOSE)('is valid for `docker-compose config` (Debian docker-compose 1.29)', () => {
    const rendered = run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      env: { POSTGRES_PASSWORD: 'x-test' },
    });
    expect(rendered.stderr).toBe('');
    expect(rendered.status).toBe(0);
    expect(rendered.stdout).toContain('postgresql://recsys:x-test@postgres:5432/recsys');
  });
  it.skipIf(HAS_COMPOSE)(
    'docker-compose config: SKIPPED because docker-compose is not on PATH (apt-get install docker-compose)',
    () => {
      expect(HAS_COMPOSE).toBe(false);
    },
  );
});

describe('Makefile and cloudbuild.yaml', () => {
  it("has the seed's targets; `make train` retrains from the database and goes through the gate", () => {
    const makefile = read('Makefile');
    const targets = new Set([...makefile.matchAll(/^([a-z-]+):/gm)].map((m) => m[1]));
    for (const t of ['install', 'lint', 'test', 'api', 'jupyter', 'train', 'predict', 'up', 'deploy']) {
      expect(targets, t).toContain(t);
    }
    const train = /^train:.*\n((?:\t.*\n)+)/m.exec(makefile)?.[1] ?? '';
    expect(train).toContain('train --source db --evaluate --no-promote');
    expect(train).toContain('artifacts gate');
    expect(makefile).toMatch(/^install:.*\n\tnpm ci\b/m);
  });

  it('Cloud Build builds both Dockerfiles and pushes both images to Artifact Registry', () => {
    const build = parseYaml(read('cloudbuild.yaml'));
    const files = build.steps.map((s: { args: string[] }) => s.args.find((a) => a.startsWith('--file=')));
    expect(files).toEqual(['--file=Dockerfile.cpu', '--file=Dockerfile.gpu']);
    expect(build.images).toHaveLength(2);
    for (const image of build.images)
      expect(image).toMatch(/-docker\.pkg\.dev\/\$PROJECT_ID\/.*:\$\{_TAG\}$/);
  });
});
