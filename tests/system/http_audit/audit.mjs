// The graphql-http audit suite (GraphQL over HTTP, https://graphql.github.io/graphql-over-http/)
// against a running server:
//
//     node tests/http_audit/audit.mjs http://127.0.0.1:8000/graphql [token]
//
// Every request carries `Authorization: Bearer <token>` (default demo-alice): the server answers
// 401 without one. Prints one JSON line per audit ({id, name, status, reason?, response?}), then
// a summary line; exits 1 when any audit is an error (a failed MUST) or a warning (a failed
// SHOULD). Notices (a MAY not taken) are printed but do not fail.
import { serverAudits } from 'graphql-http';

const [url, token = 'demo-alice'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs URL [token]');
  process.exit(2);
}

function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const { fn } of serverAudits({ url, fetchFn })) {
  const result = await fn();
  counts[result.status] += 1;
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    const response = result.response;
    line.response = {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: await response.text().catch(() => '<body already read>'),
    };
  }
  console.log(JSON.stringify(line));
}
console.log(JSON.stringify({ summary: counts }));
process.exit(counts.error || counts.warn ? 1 : 0);
