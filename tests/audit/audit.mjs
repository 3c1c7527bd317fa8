// Runs every audit of graphql-http's GraphQL-over-HTTP suite (serverAudits) against a URL and
// prints one JSON line per audit: {"id", "name", "status": "ok"|"notice"|"warn"|"error",
// "reason", "httpStatus", "contentType"}. tests/e2e/test_graphql_http_audit.py reads the lines
// and decides what passes; this script only exits non-zero when the suite itself cannot run.
//
//   node tests/audit/audit.mjs http://127.0.0.1:8000/graphql [header:value ...]
//
// Extra "name:value" arguments are sent with every request (e.g. an Authorization header).
import { serverAudits } from 'graphql-http';

const [url, ...rawHeaders] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs URL [header:value ...]');
  process.exit(2);
}
const extra = Object.fromEntries(
  rawHeaders.map((h) => {
    const at = h.indexOf(':');
    return [h.slice(0, at).trim(), h.slice(at + 1).trim()];
  }),
);

function fetchWithHeaders(input, init = {}) {
  const headers = new Headers(init.headers || {});
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return fetch(input, { ...init, headers });
}

const audits = serverAudits({ url, fetchFn: fetchWithHeaders });
// One at a time: the order of the output is the suite's, and the server is not flooded.
for (const { id, name, fn } of audits) {
  const result = await fn();
  const line = { id, name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    line.contentType = result.response.headers.get('content-type');
    try {
      line.body = (await result.response.text()).slice(0, 300);
    } catch {
      // a body already read by the assertion: nothing more to show
    }
  }
  console.log(JSON.stringify(line));
}
