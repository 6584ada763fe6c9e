// The step-2 screen's data, typed: the step-2 query and the live updates of a quote over one
// graphql-ws client, with the documents and types that `make types` generates. Nothing here is
// tied to React or Vue: call openQuote from a component's mount (useEffect, onMounted) and keep
// the function it returns for the unmount.
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

import {
  QuoteContactsChangedDocument,
  QuoteStep2Document,
  type QuoteContactsChangedSubscription,
  type QuoteContactsChangedSubscriptionVariables,
  type QuoteStep2Fragment,
} from '../generated/graphql.js';

/** All that the screen shows of a quote: the QuoteStep2 fragment, as every operation selects it. */
export type Step2 = QuoteStep2Fragment;
/** One change of a quote, by anyone, with the quote as it now stands. */
export type QuoteEvent = QuoteContactsChangedSubscription['quoteContactsChanged'];

export interface ConnectOptions {
  language?: 'fr' | 'en';
  /** A WebSocket class where the runtime has none (Node before 22: the `ws` package). */
  webSocketImpl?: unknown;
}

/** One WebSocket for queries, mutations and subscriptions, authenticated in connection_init. */
export function connect(url: string, token: string, options: ConnectOptions = {}): Client {
  return createClient({
    url,
    connectionParams: { Authorization: `Bearer ${token}`, 'Accept-Language': options.language ?? 'fr' },
    // 4403: the server refused the token; trying again with the same one cannot help.
    shouldRetry: (closed) => !(typeof closed === 'object' && closed !== null && 'code' in closed && closed.code === 4403),
    webSocketImpl: options.webSocketImpl,
  });
}

/** Runs a query or a mutation; its variables and its answer are typed by the document. */
export async function execute<Result, Variables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  for await (const result of client.iterate<Result>({ query: print(document), variables })) {
    if (result.errors?.length) throw new Error(result.errors.map((error) => error.message).join('\n'));
    if (result.data) return result.data;
  }
  throw new Error('The server completed the operation without an answer.');
}

/**
 * Opens a quote's step 2: subscribes to its changes first, then reads it, so that no change
 * falls in between. `render` gets the quote at once and after every change (with the event),
 * never a quote older than the one it last got: an event and an answer may cross.
 * Returns the function that stops the live updates.
 */
export async function openQuote(
  client: Client,
  quoteId: string,
  render: (quote: Step2, event: QuoteEvent | null) => void,
  onError: (error: unknown) => void,
): Promise<() => void> {
  let shown = -1;
  const show = (quote: Step2, event: QuoteEvent | null) => {
    if (quote.version < shown) return;
    shown = quote.version;
    render(quote, event);
  };
  const variables: QuoteContactsChangedSubscriptionVariables = { quoteId };
  const stop = client.subscribe<QuoteContactsChangedSubscription>(
    { query: print(QuoteContactsChangedDocument), variables },
    {
      next: ({ data, errors }) => {
        if (errors?.length) onError(new Error(errors.map((error) => error.message).join('\n')));
        else if (data) show(data.quoteContactsChanged.quote, data.quoteContactsChanged);
      },
      error: onError,
      complete: () => {},
    },
  );
  const { quote } = await execute(client, QuoteStep2Document, { id: quoteId });
  if (!quote) {
    stop();
    throw new Error('This quote cannot be found.'); // unknown, or another partner's
  }
  show(quote, null);
  return stop;
}
