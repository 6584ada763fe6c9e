// What the generated types catch. Each statement below is a mistake that tsc must refuse: were
// the types to become loose (`any`), its @ts-expect-error would be unused, and `make types`'
// test (tsc) would fail.
import type { Client } from 'graphql-ws';

import { QuoteStep2Document, SetAssignmentFunctionDocument } from '../generated/graphql.js';
import { execute } from './step2.js';

export async function mistakes(client: Client, quoteId: string): Promise<void> {
  // @ts-expect-error the step-2 query needs the quote's id
  await execute(client, QuoteStep2Document, {});
  // @ts-expect-error PHONE is not one of the three functions
  await execute(client, SetAssignmentFunctionDocument, { input: { assignmentId: 'x', function: 'PHONE', enabled: true } });

  const { quote } = await execute(client, QuoteStep2Document, { id: quoteId });
  // @ts-expect-error the quote is null when not found (or another partner's)
  void quote.version;
  if (!quote) return;
  // @ts-expect-error the step-2 query does not select a contact's updatedAt
  void quote.eligibleContacts.client[0]?.contact.updatedAt;
  // @ts-expect-error codes are the schema's ErrorCode values
  const unknown: (typeof quote.contactValidation.errors)[number]['code'] = 'NO_SUCH_CODE';
  void unknown;
}
