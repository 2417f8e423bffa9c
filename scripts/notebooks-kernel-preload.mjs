// Loaded before tslab by scripts/notebooks-kernel.sh. tslab's type checker (its own TypeScript) watches the
// directories and files of its program through the real file system and throws "Unexpected pending
// rebuildTimer" on the next cell when anything there changed in between: a cell that writes files under
// the repository, or another process editing the tree. Cells never need that watching (the declarations
// they import are built before the kernel starts), so it is switched off here.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'node_modules', 'tslab', 'package.json'));
const ts = require('@tslab/typescript-for-tslab');
const unwatched = () => ({ close() {} });
ts.sys.watchDirectory = unwatched;
ts.sys.watchFile = unwatched;
