import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, repositoryFiles, ROOT } from './support.js';

/**
 * Supply chain without `npm audit` (its endpoint is unreachable from these machines): the runtime dependency
 * tree (package-lock.json without dev-only packages, i.e. what `npm ci --omit=dev` installs in the images)
 * with each package's licence read from its installed package.json, checked against an allow-list; and a
 * scan of what the repository would publish for keys, tokens, tfvars and Terraform state.
 */

/** Licences that allow use and redistribution in a closed image (permissive, or weak copyleft per file). */
const ALLOWED = new Set([
  'MIT',
  'ISC',
  'Apache-2.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'Unlicense',
  'Python-2.0',
  'MPL-2.0',
  'EPL-2.0', // elkjs, under prisma's studio (never loaded by the app; unmodified, so no obligation arises)
]);

/** Packages whose package.json has no licence field, with where the licence was read instead. */
const KNOWN: Record<string, string> = {
  only: 'MIT', // koa's dependency: Readme.md "License: (The MIT License)"
};

/** Every licence id in an SPDX-ish expression ("(MIT OR CC0-1.0)", "Apache-2.0 AND MIT", "MIT and ISC"). */
function licenceIds(expression: string): { ids: string[]; anyOf: boolean } {
  const ids = expression
    .replace(/[()]/g, ' ')
    .split(/\s+(?:OR|AND|or|and)\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { ids, anyOf: /\bOR\b/i.test(expression) && !/\bAND\b/i.test(expression) };
}

function licenceAllowed(expression: string): boolean {
  const { ids, anyOf } = licenceIds(expression);
  return ids.length > 0 && (anyOf ? ids.some((id) => ALLOWED.has(id)) : ids.every((id) => ALLOWED.has(id)));
}

interface LockEntry {
  dev?: boolean;
  license?: string;
  version?: string;
}

function runtimePackages(): { name: string; dir: string; licence: string | null; installed: boolean }[] {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> };
  const out: { name: string; dir: string; licence: string | null; installed: boolean }[] = [];
  for (const [dir, entry] of Object.entries(lock.packages)) {
    if (dir === '' || entry.dev) continue;
    const name = dir.replace(/^.*node_modules\//, '');
    const file = path.join(ROOT, dir, 'package.json');
    if (!fs.existsSync(file)) {
      // Optional packages for other platforms (esbuild's, tfjs-node's) are not installed here: the lockfile's.
      out.push({ name, dir, licence: entry.license ?? null, installed: false });
      continue;
    }
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      license?: string | { type?: string };
      licenses?: { type?: string }[];
    };
    const raw =
      typeof pkg.license === 'string'
        ? pkg.license
        : (pkg.license?.type ?? pkg.licenses?.map((l) => l.type).join(' OR '));
    out.push({ name, dir, licence: raw ?? KNOWN[name] ?? null, installed: true });
  }
  return out;
}

describe('supply chain', () => {
  it('every runtime dependency has a licence on the allow-list (read from its installed package.json)', () => {
    const packages = runtimePackages();
    expect(packages.filter((p) => p.installed).length).toBeGreaterThan(100);
    const refused = packages
      .filter((p) => p.licence === null || !licenceAllowed(p.licence))
      .map((p) => `${p.name}: ${p.licence ?? 'no licence field'}`);
    expect(refused).toEqual([]);
  });

  it('the allow-list refuses copyleft and unknown licences', () => {
    expect(licenceAllowed('MIT')).toBe(true);
    expect(licenceAllowed('(MIT OR CC0-1.0)')).toBe(true);
    expect(licenceAllowed('(BSD-3-Clause AND Apache-2.0)')).toBe(true);
    expect(licenceAllowed('GPL-3.0-only')).toBe(false);
    expect(licenceAllowed('AGPL-3.0')).toBe(false);
    expect(licenceAllowed('MIT AND GPL-2.0')).toBe(false);
    expect(licenceAllowed('SSPL-1.0')).toBe(false);
    expect(licenceAllowed('UNLICENSED')).toBe(false);
    expect(licenceAllowed('')).toBe(false);
  });
});

/** File names that must never be committed. */
const FORBIDDEN_NAMES = [
  /(^|\/)[^/]*\.tfstate(\.[^/]*)?$/,
  /(^|\/)[^/]*\.tfvars$/,
  /(^|\/)[^/]*\.tfvars\.json$/,
  /(^|\/)\.terraform\//,
  /(^|\/)[^/]*\.(pem|p12|pfx|key|jks)$/,
  /(^|\/)id_(rsa|ecdsa|ed25519)$/,
  /(^|\/)\.env(\.[^/]*)?$/,
  /(^|\/)(service[-_]?account|credentials)[^/]*\.json$/,
  /(^|\/)data\/api-token$/,
];

/** Contents that are keys or tokens (built from parts so this file does not match itself). */
const BEGIN = '-----BEGIN';
const SECRET_PATTERNS: [string, RegExp][] = [
  ['private key', new RegExp(`${BEGIN} (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----`)],
  ['Google service account key', new RegExp(`"type"\\s*:\\s*"service_${'account'}"[\\s\\S]*"private_key"`)],
  ['Google API key', new RegExp(`AI${'za'}[0-9A-Za-z_-]{35}`)],
  ['AWS access key', new RegExp(`AK${'IA'}[0-9A-Z]{16}`)],
  ['GitHub token', new RegExp(`gh${'[pousr]'}_[A-Za-z0-9]{36}`)],
  ['Slack token', new RegExp(`xox${'[abprs]'}-[A-Za-z0-9-]{10,}`)],
];

function secretsIn(file: string, text: string): string[] {
  const found: string[] = [];
  if (FORBIDDEN_NAMES.some((re) => re.test(file))) found.push(`${file}: file that must not be committed`);
  for (const [what, re] of SECRET_PATTERNS) if (re.test(text)) found.push(`${file}: ${what}`);
  return found;
}

describe('committed secrets', () => {
  it('nothing the repository would publish is a key, a token, a tfvars or a Terraform state file', () => {
    const found: string[] = [];
    for (const file of repositoryFiles()) {
      const full = path.join(ROOT, file);
      const stat = fs.statSync(full);
      if (!stat.isFile() || stat.size > 2 * 1024 * 1024) continue;
      found.push(...secretsIn(file, fs.readFileSync(full, 'latin1')));
    }
    expect(found).toEqual([]);
  });

  it('the scan finds a planted key, token, tfvars and state file', () => {
    const pem = `${BEGIN} RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----`;
    expect(secretsIn('deploy/key.txt', pem)).toEqual(['deploy/key.txt: private key']);
    expect(secretsIn('x.json', `{"type": "service_${'account'}", "private_key": "..."}`)).toHaveLength(1);
    expect(secretsIn('a.ts', `const t = 'gh${'p'}_${'a'.repeat(36)}';`)).toEqual(['a.ts: GitHub token']);
    expect(secretsIn('infra/terraform/terraform.tfvars', '')).toHaveLength(1);
    expect(secretsIn('infra/terraform/terraform.tfstate.backup', '')).toHaveLength(1);
    expect(secretsIn('infra/terraform/terraform.tfvars.example', 'project_id = "x"')).toEqual([]);
  });
});
