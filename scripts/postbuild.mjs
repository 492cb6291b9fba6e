// Makes the built CLI executable so `npx kafkasim` works right after `npm install`.
import { chmodSync } from "node:fs";
chmodSync(new URL("../dist/cli.js", import.meta.url), 0o755);
