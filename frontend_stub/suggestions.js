// Suggestions on the step-2 screen: ready-made contact lists for a draft (the client's default
// contacts, an earlier quote's list), shown above an empty or short list, each with what it
// would add and a button to apply it; then what was applied and what was skipped, and why.
// And « save this list as the client's defaults » for a user who may edit contacts.
//
// The API decides everything: what each suggestion would do (`entries[].problems`,
// `canApply`), what applying did (`applied`, `skipped`), whether a list may be defaults
// (`userErrors`). This module only draws it; app.js holds the state and sends the requests.

// A list this short (or empty) gets the suggestions.
export const SHORT_LIST = 4;

export const SUGGESTION_TEXTS = {
  fr: {
    suggestionsTitle: 'Reprendre des contacts',
    suggestionsNote: "En un clic, les contacts par défaut du client ou ceux d'un de ses devis. " +
      "Rien de ce qui est déjà sur le devis n'est retiré.",
    applySuggestion: 'Appliquer',
    applyNamed: 'Appliquer : {label}',
    wouldAdd: '{name} : {functions}',
    onQuote: 'déjà sur le devis',
    notAdded: '{name} : non repris',
    nothingToAdd: "Rien à reprendre de cette liste pour l'instant.",
    appliedFrom: '{label} : {names} repris.',
    appliedNone: '{label} : rien de repris.',
    skippedTitle: 'Non repris, et pourquoi :',
    saveDefaults: 'Enregistrer cette liste comme contacts par défaut du client',
    defaultsNote: 'Les contacts ponctuels ne sont pas enregistrés comme contacts par défaut.',
    defaultsSaved: 'Liste enregistrée comme contacts par défaut de {client}.',
    eventSUGGESTION_APPLIED: '{actor} a repris des contacts sur le devis.',
  },
  en: {
    suggestionsTitle: 'Reuse contacts',
    suggestionsNote: "In one click, the client's default contacts or those of one of its quotes. " +
      'Nothing already on the quote is taken away.',
    applySuggestion: 'Apply',
    applyNamed: 'Apply: {label}',
    wouldAdd: '{name}: {functions}',
    onQuote: 'already on the quote',
    notAdded: '{name}: not reused',
    nothingToAdd: 'Nothing to reuse from this list for now.',
    appliedFrom: '{label}: {names} reused.',
    appliedNone: '{label}: nothing reused.',
    skippedTitle: 'Not reused, and why:',
    saveDefaults: "Save this list as the client's default contacts",
    defaultsNote: 'One-off contacts are not saved as default contacts.',
    defaultsSaved: "List saved as {client}'s default contacts.",
    eventSUGGESTION_APPLIED: '{actor} reused contacts on the quote.',
  },
};

// Whether a quote gets suggestions: a draft the viewer may change, with a short list.
export const wantsSuggestions = (q) => q?.status === 'DRAFT' && q.viewerCanEdit && q.assignments.length < SHORT_LIST;

// What applying would do for one entry: the functions it would add or tick (none when a
// problem is about the whole contact, nor those refused, nor those it already has here).
function entryOutcome(entry, held) {
  if (entry.problems.some((p) => !p.function)) return [];
  const refused = new Set(entry.problems.map((p) => p.function));
  return entry.functions.filter((fn) => !refused.has(fn) && !held.includes(fn));
}

// The suggestions card: each suggestion with what it would add and its button; the result of
// the last one applied; the errors of that change.
export function renderSuggestions(ui, { q, suggestions, result, errors, canChange, onApply }) {
  const { $, h, t, setContent, labelOf, fullName, errorList } = ui;
  const card = $('suggestions-card');
  const offered = wantsSuggestions(q) ? suggestions ?? [] : [];
  card.hidden = !offered.length && !result && !errors.length;
  if (card.hidden) return;
  const onQuote = new Map(q.assignments.filter((a) => a.contact).map((a) => [a.contact.id, a.functions]));
  setContent($('suggestions-list'), offered.map((s, i) => {
    const labelId = `suggestion-${i}-label`;
    return h('li', { class: 'suggestion', 'aria-labelledby': labelId },
      h('h4', { id: labelId }, s.label),
      h('ul', { class: 'entries' }, s.entries.map((entry) => {
        const name = fullName(entry);
        const there = entry.contact && onQuote.has(entry.contact.id);
        const functions = entryOutcome(entry, there ? onQuote.get(entry.contact.id) : []);
        const text = functions.length
          ? t('wouldAdd', { name, functions: functions.map(labelOf).join(', ') })
          : t('notAdded', { name });
        return h('li', { class: functions.length ? 'adds' : 'skips' },
          text, there && h('span', { class: 'tag' }, t('onQuote')),
          entry.problems.length > 0 && h('ul', { class: 'reasons' }, entry.problems.map((p) => h('li', {}, p.message))));
      })),
      s.canApply
        ? h('button', { type: 'button', class: 'apply', id: `apply-suggestion-${i}`, disabled: !canChange,
          'aria-label': t('applyNamed', { label: s.label }), onclick: () => onApply(s) }, t('applySuggestion'))
        : h('p', { class: 'note' }, t('nothingToAdd')));
  }));
  setContent($('suggestions-result'), ...(result ? [
    h('p', {}, result.applied.length
      ? t('appliedFrom', { label: result.label, names: result.applied.map(fullName).join(', ') })
      : t('appliedNone', { label: result.label })),
    ...(result.skipped.length ? [h('h4', {}, t('skippedTitle')),
      h('ul', { class: 'skipped' }, result.skipped.map((p) => h('li', {}, p.message)))] : []),
  ] : []));
  setContent($('suggestions-errors'), errorList(errors));
}

// The input of setContactDefaults from the list on screen: each enterprise contact with its
// functions, in the list's order (one-off contacts belong to their quote only).
export function defaultsFromQuote(q) {
  return {
    enterpriseId: q.client.id,
    defaults: q.assignments.filter((a) => a.contact).map((a) => ({ contactId: a.contact.id, functions: a.functions })),
  };
}

// « Save this list as the client's defaults », for a viewer with CONTACT_EDIT and a list that
// holds an enterprise contact.
export function renderSaveDefaults(ui, { q, viewer, errors, offline, onSave }) {
  const { $, t, setContent, errorList } = ui;
  const allowed = viewer?.permissions.includes('CONTACT_EDIT') && q.assignments.some((a) => a.contact);
  $('defaults-row').hidden = !allowed;
  if (!allowed) return;
  const button = $('save-defaults');
  button.textContent = t('saveDefaults');
  button.disabled = offline;
  button.onclick = onSave;
  $('defaults-note').textContent = q.assignments.some((a) => !a.contact) ? t('defaultsNote') : '';
  setContent($('defaults-errors'), errorList(errors));
}
