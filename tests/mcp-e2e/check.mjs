// check.mjs: the one check() of the end-to-end clients (client.mjs,
// http_client.mjs): prints "ok - WHAT", or "FAIL - WHAT: DETAIL" and exits 1.
export function check(what, cond, detail) {
  if (!cond) {
    console.error(`FAIL - ${what}${detail === undefined ? "" : ": " + JSON.stringify(detail).slice(0, 2000)}`);
    process.exit(1);
  }
  console.log(`ok - ${what}`);
}
