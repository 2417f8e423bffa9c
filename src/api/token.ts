import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Where `npm start` keeps the generated write token: `<data dir>/api-token`. */
export function apiTokenFile(dataDir: string): string {
  return path.join(dataDir, 'api-token');
}

export interface ResolvedToken {
  /** The token writes need, or undefined (every write refused). */
  token: string | undefined;
  source: 'environment' | 'file' | 'generated' | 'none';
  /** The token file, when the token came from one. */
  file?: string;
}

/**
 * The bearer token for writes: RECSYS_API_TOKEN when set; otherwise the one in `<data dir>/api-token`; when
 * there is none and `generate` is set, a new random one written there with mode 0600. The file appears
 * complete or not at all (`createExclusively`), so two processes starting at once end up with the same token
 * and neither can read it half-written. Callers log where the token is, never the token.
 * @example const { token, file } = await resolveApiToken({ configured: config.apiToken, dataDir: config.dataDir, generate: true });
 */
export async function resolveApiToken(options: {
  configured: string | undefined;
  dataDir: string;
  generate: boolean;
}): Promise<ResolvedToken> {
  if (options.configured) return { token: options.configured, source: 'environment' };
  const file = apiTokenFile(options.dataDir);
  const existing = await readToken(file);
  if (existing) return { token: existing, source: 'file', file };
  if (!options.generate) return { token: undefined, source: 'none' };
  await fs.mkdir(path.dirname(file), { recursive: true });
  const token = randomBytes(32).toString('base64url');
  if (await createExclusively(file, `${token}\n`)) return { token, source: 'generated', file };
  // Another process created it first: its file is complete, since it only ever appears whole.
  const raced = await readToken(file);
  return raced ? { token: raced, source: 'file', file } : { token: undefined, source: 'none' };
}

/**
 * Creates `file` holding `text` (mode 0600) only if it does not exist, atomically: the text is written and
 * synced to a temp file beside it, which is then hard-linked to the name (link(2) fails when the name exists,
 * like O_EXCL) and removed. Opening the name itself with O_EXCL and then writing would let another process
 * read it empty in between. Returns false when the file already existed.
 */
async function createExclusively(file: string, text: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function readToken(file: string): Promise<string | undefined> {
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
