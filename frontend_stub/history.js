// The quote's contact history on the step-2 screen, under the list (« Historique »): the latest
// entries, and all of them on demand, newest first, each with its sentence (the API's
// `summary`, in the page's language) and when it was written (local date and time).
//
// Live without adding the history to QUOTE_STEP2 (what every change's answer and every event
// select, and what the benchmark reads): app.js hands `follow()` every quote it shows (the
// query's, a change's answer, another user's event); when that quote's version is newer than
// the one the history was last read at, QUOTE_HISTORY reads the latest entries again, one
// small request per change. Once everything is shown, only what is new is read (from the top
// down to the first entry already there) and put on top: the older pages are not read again.
//
// Reads run one after the other, so that a late answer never overwrites a newer one; those of
// a quote or a language no longer shown are dropped. The API decides everything said: this
// module keeps the entries and draws them.

import { QUOTE_HISTORY } from './operations.js';

// The entries shown until « Tout afficher » is pressed.
export const LATEST = 5;
// The entries asked per request once everything is shown (the API's maximum).
const PAGE = 100;

export const HISTORY_TEXTS = {
  fr: {
    historyTitle: 'Historique',
    historyEmpty: "Aucune modification des contacts de ce devis pour l'instant.",
    historyAll: 'Tout afficher',
    historyLatest: `N'afficher que les ${LATEST} dernières`,
    historyLoading: 'Chargement…',
  },
  en: {
    historyTitle: 'History',
    historyEmpty: "No change to this quote's contacts yet.",
    historyAll: 'Show all',
    historyLatest: `Show the latest ${LATEST} only`,
    historyLoading: 'Loading…',
  },
};

const blank = (quoteId = null, lang = null) => ({
  quoteId, lang,
  version: null,        // the quote version the entries are known to include (null: not read yet)
  entries: [],          // { cursor, node: { id, at, summary } }, newest first
  more: false,          // older entries exist beyond those read
  expanded: false,      // « Tout afficher » pressed
  loading: false,       // older pages being read
  error: null,          // the last read's failure (a GraphQLRequestError), until a read succeeds
});

// request: the GraphQL client's request(); onChange: draw the screen again; onError(error):
// told of a failed read (a lost network, say), whose error also stays in the view.
export function createHistory({ request, onChange, onError = () => {} }) {
  let view = blank();
  let generation = 0;
  let chain = Promise.resolve();

  function queue(job) {
    const mine = generation;
    const current = () => mine === generation;
    chain = chain.then(async () => {
      if (!current()) return;
      try {
        await job(current);
        if (current()) view.error = null;
      } catch (e) {
        if (!current()) return;
        view.error = e;
        onError(e);
      } finally {
        if (current()) { view.loading = false; onChange(); }
      }
    });
    return chain;
  }

  async function read(first, after = null) {
    const data = await request(QUOTE_HISTORY, { id: view.quoteId, first, after });
    return data.quote?.history ?? { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
  }

  // The latest entries: replaced as they are while only they are shown; once everything is,
  // the new ones are read down to the first entry already there and put on top.
  async function readLatest(version, current) {
    if (view.version !== null && version <= view.version) return;     // an earlier read saw it
    if (!view.expanded) {
      const page = await read(LATEST);
      if (!current()) return;
      view.entries = page.edges;
      view.more = page.pageInfo.hasNextPage;
    } else {
      const known = new Set(view.entries.map((e) => e.node.id));
      const fresh = [];
      for (let after = null, first = LATEST; ;) {
        const page = await read(first, after);
        if (!current()) return;
        const end = page.edges.findIndex((e) => known.has(e.node.id));
        fresh.push(...(end < 0 ? page.edges : page.edges.slice(0, end)));
        if (end >= 0 || !page.pageInfo.hasNextPage) break;
        [after, first] = [page.pageInfo.endCursor, PAGE];
      }
      view.entries = [...fresh, ...view.entries];
    }
    // The read was sent once this version was committed: it holds that version's entries.
    view.version = Math.max(version, view.version ?? version);
  }

  return {
    get view() { return view; },

    // A quote received (null: none shown): reads its latest entries when its version is new.
    follow(quote, lang) {
      if (!quote) {
        if (view.quoteId !== null) { generation++; view = blank(); }
        return;
      }
      if (quote.id !== view.quoteId || lang !== view.lang) { generation++; view = blank(quote.id, lang); }
      if (view.version !== null && quote.version <= view.version) return;
      queue((current) => readLatest(quote.version, current));
    },

    // « Tout afficher »: every older entry, by pages, after the last one shown.
    showAll() {
      if (view.expanded || view.quoteId === null) return;
      view.expanded = true;
      view.loading = view.more;
      onChange();
      queue(async (current) => {
        while (view.more && view.expanded) {
          const page = await read(PAGE, view.entries.at(-1)?.cursor ?? null);
          if (!current() || !view.expanded) return;
          const known = new Set(view.entries.map((e) => e.node.id));
          view.entries.push(...page.edges.filter((e) => !known.has(e.node.id)));
          view.more = page.pageInfo.hasNextPage;
          onChange();
        }
      });
    },

    // Back to the latest entries only.
    showLatest() {
      view.expanded = false;
      if (view.entries.length > LATEST) {
        view.entries = view.entries.slice(0, LATEST);
        view.more = true;
      }
      onChange();
    },

    // The user or the language changed: everything is read again.
    forget() {
      generation++;
      view = blank();
    },
  };
}

// When an entry was written, in the page's language: a local date and time.
function when(at, lang) {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(at));
}

// The history card: the entries (an ordered list named by the card's heading), newest first;
// a note while there are none; « Tout afficher » while older entries exist, then a button back
// to the latest ones; the last read's failure.
export function renderHistory(ui, { view, lang, errors }) {
  const { $, h, t, setContent, errorList } = ui;
  const list = $('history-list');
  const key = JSON.stringify([lang, view.entries.map((e) => e.node.id)]);
  if (list.dataset.key !== key) {
    list.dataset.key = key;
    const comma = lang === 'fr' ? ', le ' : ', on ';
    setContent(list, view.entries.map(({ node }) => h('li', {},
      h('span', { class: 'what' }, node.summary),
      h('span', { class: 'visually-hidden' }, comma),
      h('time', { datetime: node.at }, when(node.at, lang)))));
  }
  list.hidden = !view.entries.length;
  list.setAttribute('aria-busy', view.loading ? 'true' : 'false');
  const empty = $('history-empty');
  empty.hidden = view.version === null || view.entries.length > 0;
  empty.textContent = t('historyEmpty');
  const toggle = $('history-toggle');
  const canShowAll = !view.expanded && view.more;
  const canShowLatest = view.expanded && view.entries.length > LATEST;
  toggle.hidden = !canShowAll && !canShowLatest && !view.loading;
  toggle.textContent = view.loading ? t('historyLoading') : canShowAll ? t('historyAll') : t('historyLatest');
  // Not `disabled` while loading: the button keeps the focus (Enter does nothing meanwhile).
  toggle.setAttribute('aria-disabled', view.loading ? 'true' : 'false');
  setContent($('history-errors'), errorList(errors));
}
