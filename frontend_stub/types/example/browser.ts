// In a page: a React component calls showQuote in useEffect and returns the function it gives;
// a Vue component calls it in onMounted and that function in onUnmounted.
import { connect, openQuote, type Step2 } from './step2.js';

export async function showQuote(
  token: string,
  quoteId: string,
  render: (quote: Step2, changedBy: string | null) => void,
): Promise<() => void> {
  const url = new URL('/graphql', window.location.href).toString().replace(/^http/, 'ws');
  const client = connect(url, token, { language: 'fr' });
  try {
    const stop = await openQuote(
      client,
      quoteId,
      (quote, event) => render(quote, event && event.kind !== 'RESYNC' ? event.actor : null),
      (error) => console.error(error),
    );
    return () => {
      stop();
      void client.dispose();
    };
  } catch (error) {
    void client.dispose(); // the quote cannot be found
    throw error;
  }
}
