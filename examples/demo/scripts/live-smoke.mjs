/* global AbortSignal */
// Smoke test of a deployed instance (the optional `live-smoke` gate: npx shipgate run --with live-smoke).
// LIVE_URL is the deployment's base URL, e.g. LIVE_URL=https://notes.example.com
// Enabling the gate without LIVE_URL fails: a gate that was asked for and checked nothing must not pass.

const base = process.env.LIVE_URL;
const expected = process.env.SHIPGATE_VERSION;

/** @param {string} path */
async function getJson(path) {
  const url = new URL(path, base);
  let res;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new Error(`GET ${url} failed: ${err.cause?.message ?? err.message}`);
  }
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}, expected 200`);
  try {
    return await res.json();
  } catch {
    throw new Error(`GET ${url} did not return JSON`);
  }
}

async function main() {
  if (!base) {
    throw new Error('LIVE_URL is not set. Set it to the deployed base URL, e.g. LIVE_URL=https://notes.example.com npx shipgate run -c examples/demo/shipgate.yml --with live-smoke');
  }
  try {
    new URL(base);
  } catch {
    throw new Error(`LIVE_URL=${JSON.stringify(base)} is not a URL`);
  }
  const health = await getJson('/health');
  if (health.status !== 'ok') throw new Error(`/health says ${JSON.stringify(health)}, expected status "ok"`);
  const info = await getJson('/api/version');
  if (expected && info.version !== expected) throw new Error(`${base} runs version ${info.version}, expected ${expected}`);
  const list = await getJson('/api/items');
  if (!Array.isArray(list.items)) throw new Error('/api/items did not return {"items": [...]}');
  console.log(`live-smoke: ${base} is healthy, version ${info.version}, ${list.items.length} items`);
}

main().catch((err) => {
  console.error(`live-smoke: ${err.message}`);
  process.exitCode = 1;
});
