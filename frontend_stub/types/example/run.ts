// The example against a running server, as tests/test_types.py runs it once compiled:
//   node run.js http://127.0.0.1:8000 demo-alice <quoteId>
// Prints one JSON line with the quote as read, then one for the first change, and ends.
import WebSocket from 'ws';

import { connect, openQuote, type QuoteEvent, type Step2 } from './step2.js';

const [base, token, quoteId] = process.argv.slice(2);
if (!base || !token || !quoteId) throw new Error('usage: node run.js <server URL> <token> <quote id>');

const client = connect(`${base.replace(/^http/, 'ws')}/graphql`, token, { language: 'en', webSocketImpl: WebSocket });

function print(quote: Step2, event: QuoteEvent | null): void {
  console.log(JSON.stringify({
    kind: event ? event.kind : 'READ',
    actor: event ? event.actor : null,
    reference: quote.reference,
    version: quote.version,
    contacts: quote.assignments.map((assignment) => ({ lastName: assignment.lastName, functions: assignment.functions })),
    errors: quote.contactValidation.errors.map((error) => error.message),
  }));
  if (event) {
    void client.dispose();
    process.exit(0);
  }
}

await openQuote(client, quoteId, print, (error) => {
  console.error(error);
  process.exit(1);
});
