// Step 2 of placing an order: assign contacts to a quote.
// One state object; render() draws the screen from it, always from the last quote received
// (query, mutation payload or subscription event alike: they all select QUOTE_STEP2).

import { createClient, GraphQLRequestError } from './graphql.js';
import {
  VIEWER_QUERY, QUOTES_QUERY, QUOTE_QUERY, ASSIGN_CONTACT, ASSIGN_ADHOC_CONTACT, UNASSIGN_CONTACT,
  SET_ASSIGNMENT_FUNCTION, PLACE_ORDER, UPDATE_CONTACT, QUOTE_CONTACTS_CHANGED,
  CONTACT_SUGGESTIONS, APPLY_CONTACT_SUGGESTION, SET_CONTACT_DEFAULTS,
} from './operations.js';
import { HISTORY_TEXTS, createHistory, renderHistory } from './history.js';
import {
  SUGGESTION_TEXTS, wantsSuggestions, renderSuggestions, renderSaveDefaults, defaultsFromQuote,
} from './suggestions.js';

// --- texts of the screen itself (the API sends its own texts in the language asked) -------
const TEXTS = {
  fr: {
    title: 'Affecter des contacts à une commande',
    skip: "Aller à l'étape 2",
    user: 'Utilisateur (démo)',
    switchLang: 'English',
    quote: 'Devis',
    noQuote: 'Aucun devis',
    chooseQuote: '— Choisir un devis —',
    client: 'Client',
    products: 'Produits',
    DRAFT: 'brouillon',
    ORDERED: 'commandé',
    needsON_SITE: 'intervention sur site',
    needsDELIVERY: 'livraison de matériel',
    step2: 'Étape 2 : informations complémentaires',
    clientContacts: 'Contacts client existants',
    partnerContacts: 'Contacts partenaire référent existants',
    filterClient: 'Filtrer les contacts client',
    filterPartner: 'Filtrer les contacts partenaire',
    filterCount: '{shown} contact(s) sur {total}',
    noMatch: 'Aucun contact ne correspond',
    choose: '— Choisir un contact —',
    incomplete: 'incomplet',
    alreadyOnQuote: 'déjà sur le devis',
    phoneShort: 'Tél.',
    addClient: '+ Ajouter le contact client choisi au devis',
    addPartner: '+ Ajouter le contact partenaire choisi au devis',
    // The seed's sentence, with « en cliquant ici » as the link (when the viewer may edit the contact).
    incompleteBefore: 'Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises ',
    incompleteLink: 'en cliquant ici',
    incompleteAfter: " si vous souhaitez l'ajouter au devis.",
    missingList: 'Manquant : {fields}.',
    noEditRight: "Vous n'avez pas le droit de modifier les contacts : demandez à un collègue qui a ce droit " +
      "de le compléter. Ce menu se mettra alors à jour de lui-même.",
    completeTitle: 'Compléter le contact {name}',
    saveContact: 'Enregistrer le contact',
    cancel: 'Annuler',
    adhocTitle: 'Ajouter un contact',
    adhocSubmit: 'Ajouter au devis',
    adhocNote: 'Les contacts ajoutés ponctuellement ne seront pas enregistrés dans la liste de vos contacts. ' +
      'Pour les ajouter de façon permanente, veuillez vous rendre dans la rubrique « Entreprise ».',
    lastName: 'Nom', firstName: 'Prénom', email: 'Email', phone: 'Téléphone', role: 'Rôle',
    required: 'obligatoire',
    missing: 'manquant',
    phoneHint: 'Ex. : 06 12 34 56 78',
    phoneFormat: 'Format attendu : un numéro français, comme 06 12 34 56 78, ou un numéro international ' +
      "commençant par + et l'indicatif du pays, comme +32 2 123 45 67.",
    listTitle: 'Liste des contacts du devis',
    contact: 'Contact',
    remove: 'Retirer',
    removeContact: 'Retirer {name} du devis',
    noContacts: 'Aucun contact sur ce devis.',
    helpFor: 'Aide : {label}',
    fnFor: '{label} : {name}',
    roleIs: 'Rôle : {role}',
    yes: 'oui', no: 'non',
    noFunction: 'Aucune fonction cochée',
    notMobile: 'Pas un mobile ({label})',
    CLIENT: 'client', PARTNER: 'partenaire', ADHOC: 'ponctuel',
    validationTitle: 'Contrôle des contacts',
    valid: 'Les contacts du devis sont en règle.',
    errors: 'À corriger',
    warnings: 'À noter',
    pending: 'Il reste à régler avant la commande :',
    placeOrder: 'Passer la commande',
    readOnly: 'Lecture seule : vous ne pouvez pas modifier les contacts de ce devis.',
    ordered: 'Commande passée le {date} : ses contacts ne changent plus.',
    liveconnecting: 'Connexion…',
    liveconnected: 'En direct',
    livereconnecting: 'Connexion perdue, reconnexion…',
    liveunauthorized: 'Direct refusé',
    liveunavailable: 'Direct indisponible',
    liveidle: '',
    offline: "Connexion au serveur perdue : les modifications sont suspendues jusqu'à son retour. " +
      'Ce que vous avez saisi est conservé.',
    networkLost: "Le serveur ne répond pas : cette modification n'a pas été enregistrée.",
    unknownUser: 'Utilisateur inconnu ou session expirée : choisissez un utilisateur de démonstration en haut de la page.',
    serverError: 'Erreur inattendue du serveur. Réessayez ; si elle se répète, donnez ce code au support : {id}.',
    added: '{name} ajouté au devis.',
    removed: '{name} retiré du devis.',
    undo: 'Annuler le retrait',
    undoName: 'Annuler le retrait de {name}',
    restored: '{name} est de nouveau sur le devis.',
    completed: "Contact complété : vous pouvez l'ajouter au devis.",
    orderPlaced: 'Commande passée.',
    moved: '{label} : {to} remplace {from}.',
    changedBy: '{actor} a modifié les contacts du devis.',
    eventCONTACT_ADDED: '{actor} a ajouté {name} au devis.',
    eventCONTACT_REMOVED: '{actor} a retiré {name} du devis.',
    eventFUNCTIONS_CHANGED: '{actor} a changé les fonctions de {name}.',
    eventCONTACTS_EDITED: '{actor} a modifié un contact de la liste ou des menus.',
    eventORDER_PLACED: '{actor} a passé la commande.',
    quoteNotFound: 'Ce devis est introuvable.',
  },
  en: {
    title: 'Assign contacts to an order',
    skip: 'Skip to step 2',
    user: 'User (demo)',
    switchLang: 'Français',
    quote: 'Quote',
    noQuote: 'No quote',
    chooseQuote: '— Choose a quote —',
    client: 'Client',
    products: 'Products',
    DRAFT: 'draft',
    ORDERED: 'ordered',
    needsON_SITE: 'on-site intervention',
    needsDELIVERY: 'equipment delivery',
    step2: 'Step 2: additional information',
    clientContacts: 'Existing client contacts',
    partnerContacts: 'Existing partner referent contacts',
    filterClient: 'Filter the client contacts',
    filterPartner: 'Filter the partner contacts',
    filterCount: '{shown} of {total} contacts',
    noMatch: 'No contact matches',
    choose: '— Choose a contact —',
    incomplete: 'incomplete',
    alreadyOnQuote: 'already on the quote',
    phoneShort: 'Phone',
    addClient: '+ Add the chosen client contact to the quote',
    addPartner: '+ Add the chosen partner contact to the quote',
    incompleteBefore: 'This contact is missing some information. Please complete it in the Enterprises module ',
    incompleteLink: 'by clicking here',
    incompleteAfter: ' if you want to add it to the quote.',
    missingList: 'Missing: {fields}.',
    noEditRight: 'You may not edit contacts: ask a colleague who may to complete it. ' +
      'This menu will then update by itself.',
    completeTitle: 'Complete the contact {name}',
    saveContact: 'Save the contact',
    cancel: 'Cancel',
    adhocTitle: 'Add a contact',
    adhocSubmit: 'Add to the quote',
    adhocNote: 'Contacts added as one-offs will not be saved in your list of contacts. ' +
      'To add them permanently, please go to the Enterprises module.',
    lastName: 'Last name', firstName: 'First name', email: 'Email', phone: 'Phone', role: 'Role',
    required: 'required',
    missing: 'missing',
    phoneHint: 'E.g. 06 12 34 56 78',
    phoneFormat: 'Expected: a French number, such as 06 12 34 56 78, or an international number ' +
      'starting with + and the country code, such as +32 2 123 45 67.',
    listTitle: "The quote's contacts",
    contact: 'Contact',
    remove: 'Remove',
    removeContact: 'Remove {name} from the quote',
    noContacts: 'No contact on this quote yet.',
    helpFor: 'Help: {label}',
    fnFor: '{label}: {name}',
    roleIs: 'Role: {role}',
    yes: 'yes', no: 'no',
    noFunction: 'No function ticked',
    notMobile: 'Not a mobile ({label})',
    CLIENT: 'client', PARTNER: 'partner', ADHOC: 'one-off',
    validationTitle: 'Contact check',
    valid: "The quote's contacts are in order.",
    errors: 'To fix',
    warnings: 'To note',
    pending: 'Still to settle before the order:',
    placeOrder: 'Place the order',
    readOnly: "Read only: you may not change this quote's contacts.",
    ordered: 'Order placed on {date}: its contacts no longer change.',
    liveconnecting: 'Connecting…',
    liveconnected: 'Live',
    livereconnecting: 'Connection lost, reconnecting…',
    liveunauthorized: 'Live updates refused',
    liveunavailable: 'Live updates unavailable',
    liveidle: '',
    offline: 'Connection to the server lost: changes are paused until it is back. What you typed is kept.',
    networkLost: 'The server does not answer: this change was not saved.',
    unknownUser: 'Unknown user or expired session: choose a demo user at the top of the page.',
    serverError: 'Unexpected server error. Please try again; if it happens again, give this code to support: {id}.',
    added: '{name} added to the quote.',
    removed: '{name} removed from the quote.',
    undo: 'Undo the removal',
    undoName: 'Undo the removal of {name}',
    restored: '{name} is back on the quote.',
    completed: 'Contact completed: you can add it to the quote.',
    orderPlaced: 'Order placed.',
    moved: '{label}: {to} replaces {from}.',
    changedBy: "{actor} changed the quote's contacts.",
    eventCONTACT_ADDED: '{actor} added {name} to the quote.',
    eventCONTACT_REMOVED: '{actor} removed {name} from the quote.',
    eventFUNCTIONS_CHANGED: "{actor} changed {name}'s functions.",
    eventCONTACTS_EDITED: '{actor} edited a contact of the list or of the menus.',
    eventORDER_PLACED: '{actor} placed the order.',
    quoteNotFound: 'This quote cannot be found.',
  },
};
for (const lang of Object.keys(TEXTS)) Object.assign(TEXTS[lang], SUGGESTION_TEXTS[lang], HISTORY_TEXTS[lang]);
const t = (key, vars = {}) =>
  (TEXTS[state.lang][key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

const FIELDS = [
  { name: 'lastName', type: 'text', required: true, autocomplete: 'family-name' },
  { name: 'firstName', type: 'text', required: false, autocomplete: 'given-name' },
  { name: 'email', type: 'email', required: true, autocomplete: 'email' },
  { name: 'phone', type: 'tel', required: true, autocomplete: 'tel', hint: 'phoneHint' },
  { name: 'role', type: 'text', required: true, autocomplete: 'organization-title' },
];
const MISSING_TO_FIELD = { LAST_NAME: 'lastName', FIRST_NAME: 'firstName', EMAIL: 'email', PHONE: 'phone', ROLE: 'role' };
const RADIO_FUNCTIONS = ['ON_SITE', 'DELIVERY'];   // one contact at a time (the API moves them)
const FILTER_FROM = 8;            // a drop-down with this many contacts gets a filter field
const NOTICE_MS = 8000;           // how long a notice stays on screen
// Errors of these areas are about the quote as it was when they came: a newer quote drops them.
// (The forms' errors are about what the user typed, and stay.)
const QUOTE_BOUND_ERRORS = ['client', 'partner', 'list', 'order', 'suggestions', 'defaults'];

// --- the one state ---------------------------------------------------------------------
const params = new URLSearchParams(location.search);
const state = {
  token: params.get('user') || 'demo-alice',
  lang: params.get('lang') === 'en' ? 'en' : 'fr',
  viewer: null,
  functions: [],                        // contactFunctions: label and help per function
  quotes: [],                           // the picker's list
  quoteId: params.get('quote'),
  quote: null,                          // the last QUOTE_STEP2 received
  notFound: false,                      // the quote asked for does not exist or is not the viewer's
  selected: { client: '', partner: '' },
  filter: { client: '', partner: '' },
  completing: null,                     // id of the contact whose completion form is open
  errors: { global: [], client: [], partner: [], adhoc: [], complete: [], list: [], order: [], suggestions: [], defaults: [] },
  errorsVersion: {},                    // the quote version each area's errors were about
  undo: null,                           // the assignment just removed, until the next change
  suggestions: null,                    // contactSuggestions of the quote shown (when its list is short)
  suggestionResult: null,               // the last suggestion applied: its label, applied and skipped
  live: 'idle',
  reachable: { socket: true, http: true },
};

const client = createClient({
  httpUrl: '/graphql',
  wsUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
  headers: () => ({ Authorization: `Bearer ${state.token}`, 'Accept-Language': state.lang }),
  onStatus: (status, info) => {
    state.live = status;
    // 'reconnecting': a socket we had (or tried to open) is gone; 'unauthorized' and 'idle' are
    // not a network problem.
    setReachable('socket', status !== 'reconnecting');
    if (status === 'connected' && info?.reconnected) {   // events may have been missed
      if (state.viewer) refreshQuote(); else loadAll();
    }
  },
});

// The quote's history under the list (history.js): read again whenever the quote shown gets a
// new version, whoever changed it. Its answers redraw the history card alone (the rest of the
// screen, the list's rows and buttons among them, is left as it is).
const quoteHistory = createHistory({
  request: (query, variables) => client.request(query, variables),
  onChange: () => { if (state.quote) drawHistory(); },
  onError: (e) => { if (e.code === 'NETWORK') setReachable('http', false); },
});

// --- small DOM helpers -------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}
// Inline icons: nothing is loaded from outside and no emoji font is needed.
const ICONS = {
  person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4 0-8 2-8 5v1h16v-1c0-3-4-5-8-5z',
  trash: 'M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z',
  check: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
};
function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
const fullName = (c) => [c.lastName, c.firstName].filter(Boolean).join(' ');
const fieldOf = (e) => e.field?.[e.field.length - 1];
const labelOf = (fn) => state.functions.find((f) => f.function === fn)?.label ?? fn;
function setContent(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null && c !== false && c !== ''));
}
// +33612345678 as the French write it (06 12 34 56 78); other countries as stored (E.164).
function formatPhone(phone) {
  const french = /^\+33(\d{9})$/.exec(phone ?? '');
  return french ? `0${french[1]}`.replace(/(\d{2})(?=\d)/g, '$1 ') : phone ?? '';
}
// Lower case, no accents, for filtering.
const fold = (text) => (text ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

// The contact a userError is about ("Dupont Éric", "Leroy (Livraison de matériel)"), or null.
function targetOf(e, q = state.quote) {
  const a = e.assignmentId && q?.assignments.find((x) => x.id === e.assignmentId);
  if (!a) return null;
  return e.function && e.code === 'PHONE_NOT_MOBILE' ? `${fullName(a)} (${labelOf(e.function)})` : fullName(a);
}
// A userError as a list item, naming its contact first when it has one.
function errorItem(e) {
  const target = targetOf(e);
  return h('li', {}, target && [h('strong', {}, target), state.lang === 'fr' ? ' : ' : ': '], e.message);
}
const errorList = (errors) => errors.length ? h('ul', {}, errors.map(errorItem)) : '';

// What the user reads of a failed request: in the page's language for what is not the API's
// own message (no network, unknown token, a bug on the server).
function messagesOf(error) {
  if (!(error instanceof GraphQLRequestError)) return [{ message: String(error) }];
  if (error.code === 'NETWORK') return [{ message: t('networkLost'), code: 'NETWORK' }];
  if (error.code === 'UNAUTHENTICATED') return [{ message: t('unknownUser'), code: 'UNAUTHENTICATED' }];
  const bug = error.errors.find((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || e.message === 'Unexpected error.');
  if (bug || error.status >= 500) {
    return [{ message: t('serverError', { id: bug?.extensions?.requestId ?? error.requestId ?? '' }) }];
  }
  return error.errors.map((e) => ({ message: e.message, code: e.extensions?.code }));
}

// Short notices, visible for a few seconds and read out (role="status").
function notify(text) {
  const box = $('notices');
  const item = h('p', {}, text);
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), NOTICE_MS);
}

// --- the connection ------------------------------------------------------------------------
// Offline when the live socket is lost or a request found no server. Changes are then
// disabled; they come back, and the messages of the outage go, once both answer again.
const isOffline = () => !state.reachable.socket || !state.reachable.http;

function setReachable(part, up) {
  const wasOffline = isOffline();
  state.reachable[part] = up;
  if (!up && part === 'http') probeUntilReachable();
  if (wasOffline && !isOffline()) {
    for (const k of Object.keys(state.errors)) state.errors[k] = state.errors[k].filter((e) => e.code !== 'NETWORK');
  }
  render();
}

let probing = false;
async function probeUntilReachable() {
  if (probing) return;
  probing = true;
  for (let delay = 500; !(await client.reachable()); delay = Math.min(delay * 2, 5000)) {
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  probing = false;
  setReachable('http', true);
  if (!state.viewer) loadAll(); else refreshQuote();
}

// --- loading -------------------------------------------------------------------------------
let loadGeneration = 0;
let stopSubscription = null;

async function loadAll() {
  const generation = ++loadGeneration;
  state.errors.global = [];
  try {
    const [v, q] = await Promise.all([client.request(VIEWER_QUERY), client.request(QUOTES_QUERY)]);
    if (generation !== loadGeneration) return;
    state.viewer = v.viewer;
    state.functions = v.contactFunctions;
    state.quotes = q.quotes.edges.map((e) => e.node);
    // The quote asked for (address, or the one open when switching user or language), else the first.
    const id = state.quoteId ?? state.quotes[0]?.id ?? null;
    await openQuote(id, { keepForms: id === state.quote?.id });
  } catch (e) {
    if (generation !== loadGeneration) return;
    state.viewer = null; state.quotes = []; state.quote = null;
    state.errors.global = messagesOf(e).filter((m) => m.code !== 'NETWORK');   // the banner says it
    if (e.code === 'NETWORK') setReachable('http', false);
    render();
  }
}

async function openQuote(id, { keepForms = false } = {}) {
  if (!keepForms || id !== state.quoteId) {
    state.quote = null;
    state.selected = { client: '', partner: '' };
    state.filter = { client: '', partner: '' };
    for (const source of ['client', 'partner']) $(`${source}-filter`).value = '';
    state.completing = null;
    state.undo = null;
    state.suggestions = null;
    state.suggestionResult = null;
    quoteHistory.forget();
    for (const k of ['client', 'partner', 'adhoc', 'complete', 'list', 'order', 'suggestions', 'defaults']) state.errors[k] = [];
  }
  state.quoteId = id;
  state.notFound = false;
  state.errors.global = state.errors.global.filter((e) => e.code !== 'QUOTE_NOT_FOUND');
  stopSubscription?.();
  stopSubscription = null;
  if (state.live === 'unavailable') state.live = 'connected';   // the socket itself is still up
  updateUrl();
  if (!id) { render(); return; }
  if (!state.quotes.some((x) => x.id === id)) {
    // Not in the picker's list (an address typed or shared, another user's quote): open it only
    // if the viewer may see it. Another partner's quote and an id that does not exist look the same.
    try {
      const data = await client.request(QUOTE_QUERY, { id });
      if (id !== state.quoteId) return;
      if (!data.quote) { showNotFound(); return; }
    } catch (e) {
      state.errors.global = messagesOf(e);
      render();
      return;
    }
  }
  // Subscribe first, so that no change falls between the query and the subscription.
  stopSubscription = client.subscribe(QUOTE_CONTACTS_CHANGED, { quoteId: id }, {
    next: ({ data, errors }) => {
      if (errors?.length) { state.errors.global = errors; state.live = 'unavailable'; render(); return; }
      const event = data.quoteContactsChanged;
      const before = state.quote;
      // RESYNC is no one's change: the server's link to the other processes came back.
      const mine = !state.viewer || [state.viewer.name, state.token].includes(event.actor);
      if (event.kind !== 'RESYNC' && !mine) {
        notify(describeEvent(event, before));
        if (before) radioMoves(before, event.quote).forEach(notify);
      }
      applyQuote(event.quote);
    },
    error: (errors) => {
      state.errors.global = Array.isArray(errors) ? errors : [errors];
      state.live = 'unavailable';
      render();
    },
  });
  await refreshQuote();
}

function showNotFound() {
  stopSubscription?.();
  stopSubscription = null;
  state.quote = null;
  state.notFound = true;
  state.errors.global = [{ message: t('quoteNotFound'), code: 'QUOTE_NOT_FOUND' }];
  render();
}

async function refreshQuote() {
  const id = state.quoteId;
  if (!id || state.notFound) return;
  try {
    const data = await client.request(QUOTE_QUERY, { id });
    if (id !== state.quoteId) return;
    if (!data.quote) { showNotFound(); return; }
    applyQuote(data.quote);
  } catch (e) {
    if (e.code === 'NETWORK') { setReachable('http', false); return; }
    state.errors.global = messagesOf(e);
    render();
  }
}

// Keeps the newest quote: an older version arriving late (a slow event) is dropped. A newer
// one drops the errors that were about an older one: every message shown is true of the quote
// as it stands.
function applyQuote(quote, { draw = true } = {}) {
  if (!quote || quote.id !== state.quoteId) { if (draw) render(); return; }
  if (state.quote?.id === quote.id && quote.version < state.quote.version) return;
  for (const k of QUOTE_BOUND_ERRORS) {
    if ((state.errorsVersion[k] ?? quote.version) < quote.version) state.errors[k] = [];
  }
  state.quote = quote;
  const listed = state.quotes.find((q) => q.id === quote.id);
  if (listed) listed.status = quote.status;
  refreshSuggestions();
  quoteHistory.follow(quote, state.lang);
  if (draw) render();
}

// Suggestions are offers, read again whenever the quote shown changes (its own changes and
// other users' events, a defaults change among them): a short list's, only.
let suggestionsGeneration = 0;
async function refreshSuggestions() {
  const q = state.quote;
  const generation = ++suggestionsGeneration;
  if (!wantsSuggestions(q)) { state.suggestions = null; return; }
  try {
    const data = await client.request(CONTACT_SUGGESTIONS, { id: q.id });
    if (generation !== suggestionsGeneration || data.quote?.id !== state.quoteId) return;
    state.suggestions = data.quote.contactSuggestions;
    render();
  } catch (e) {
    if (e.code === 'NETWORK') setReachable('http', false);   // an offer only: no message of its own
  }
}

// The words for another user's change, naming the contact concerned when the event says which.
function describeEvent(event, before) {
  const a = [event.quote, before].map((q) => q?.assignments.find((x) => x.id === event.assignmentId)).find(Boolean);
  const key = `event${event.kind}`;
  const namesContact = ['CONTACT_ADDED', 'CONTACT_REMOVED', 'FUNCTIONS_CHANGED'].includes(event.kind);
  if (!(key in TEXTS[state.lang]) || (namesContact && !a)) return t('changedBy', { actor: event.actor });
  return t(key, { actor: event.actor, name: a ? fullName(a) : '' });
}

// ON_SITE and DELIVERY move from one contact to another without a word from the API: say it.
function radioMoves(before, after) {
  return RADIO_FUNCTIONS.flatMap((fn) => {
    const from = before.assignments.find((a) => a.functions.includes(fn));
    const to = after.assignments.find((a) => a.functions.includes(fn));
    const stays = from && after.assignments.some((a) => a.id === from.id);
    return from && to && from.id !== to.id && stays
      ? [t('moved', { label: labelOf(fn), from: fullName(from), to: fullName(to) })] : [];
  });
}

// --- mutations -----------------------------------------------------------------------------
// Mutations run one after the other, in the order the user asked for them: a quick second
// click waits for the first answer instead of being lost or racing it.
let queue = Promise.resolve();
// `whenSent` runs just before the request goes, once the changes asked before it are answered.
function mutate(operation, input, errorSlot, whenSent = () => {}) {
  state.undo = null;                          // any other change closes the last removal's undo
  state.suggestionResult = null;              // and the report of the last suggestion applied
  const run = () => { whenSent(); return send(operation, input, errorSlot); };
  const result = queue.then(run, run);
  queue = result.catch(() => {});
  return result;
}

async function send(operation, input, errorSlot) {
  const before = state.quote;
  state.errors[errorSlot] = [];
  try {
    const data = await client.request(operation, { input });
    const payload = Object.values(data)[0];
    if (payload.quote) applyQuote(payload.quote, { draw: false });
    setErrors(errorSlot, payload.userErrors);
    if (payload.quote && before?.id === payload.quote.id) radioMoves(before, payload.quote).forEach(notify);
    render();
    return payload;
  } catch (e) {
    setErrors(errorSlot, messagesOf(e));
    if (e.code === 'NETWORK') setReachable('http', false); else render();
    return null;
  }
}

function setErrors(slot, errors) {
  state.errors[slot] = errors;
  state.errorsVersion[slot] = state.quote?.version;
}

async function addSelected(source) {
  const contactId = state.selected[source];
  if (!contactId || isOffline()) return;
  const name = fullName(findEligible(contactId).contact);
  const payload = await mutate(ASSIGN_CONTACT, { quoteId: state.quoteId, contactId }, source);
  if (payload && !payload.userErrors.length) {
    state.selected[source] = '';
    render();
    $(`${source}-select`).focus();
    notify(t('added', { name }));
  }
}

async function addAdhoc(event) {
  event.preventDefault();
  if (isOffline()) return;
  const input = { quoteId: state.quoteId };
  for (const f of FIELDS) {
    const value = $(`adhoc-${f.name}`).value.trim();
    if (f.required || value) input[f.name] = value;
  }
  const payload = await mutate(ASSIGN_ADHOC_CONTACT, input, 'adhoc');
  if (!payload) return;                       // not sent: what was typed stays
  if (payload.userErrors.length) focusFirstInvalid('adhoc');
  else {
    $('adhoc-form').reset();
    $('adhoc-lastName').focus();
    notify(t('added', { name: fullName(input) }));
  }
}

async function removeAssignment(assignmentId) {
  // The contact as the removal finds it: a box ticked just before, still being sent when the
  // trash button was pressed, is put back by the undo too.
  let index = -1;
  let removed = null;
  const payload = await mutate(UNASSIGN_CONTACT, { assignmentId }, 'list', () => {
    const rows = state.quote?.assignments ?? [];
    index = rows.findIndex((a) => a.id === assignmentId);
    removed = rows[index] ?? null;
  });
  if (payload && !payload.userErrors.length) {
    state.undo = removed;                     // until the next change: see renderUndo
    render();
    const next = state.quote.assignments[Math.min(index, state.quote.assignments.length - 1)];
    (next ? $(`remove-${next.id}`) : $('list-heading')).focus();
  }
}

// Puts the contact just removed back, with the functions it had (and, for a one-off contact,
// the details it had): the same mutations as adding it, under the same rules.
async function undoRemoval() {
  const a = state.undo;
  if (!a || isOffline()) return;
  const input = a.contact
    ? { quoteId: state.quoteId, contactId: a.contact.id, functions: a.functions }
    : { quoteId: state.quoteId, lastName: a.lastName, email: a.email, phone: a.phone, role: a.role, functions: a.functions,
        ...(a.firstName ? { firstName: a.firstName } : {}) };
  const payload = await mutate(a.contact ? ASSIGN_CONTACT : ASSIGN_ADHOC_CONTACT, input, 'list');
  if (payload && !payload.userErrors.length) {
    notify(t('restored', { name: fullName(a) }));
    $(`remove-${payload.assignment.id}`)?.focus();
  }
}

async function applySuggestion(suggestion) {
  if (isOffline()) return;
  const input = { quoteId: state.quoteId, source: suggestion.source };
  if (suggestion.fromQuote) input.fromQuoteId = suggestion.fromQuote.id;
  const payload = await mutate(APPLY_CONTACT_SUGGESTION, input, 'suggestions');
  if (!payload) return;
  state.suggestionResult = { label: suggestion.label, applied: payload.applied, skipped: payload.skipped };
  render();
  $('suggestions-heading').focus();
}

async function saveDefaults() {
  const q = state.quote;
  if (!q || isOffline()) return;
  const payload = await mutate(SET_CONTACT_DEFAULTS, defaultsFromQuote(q), 'defaults');
  if (payload && !payload.userErrors.length) notify(t('defaultsSaved', { client: q.client.name }));
}

function setFunction(assignmentId, fn, enabled) {
  return mutate(SET_ASSIGNMENT_FUNCTION, { assignmentId, function: fn, enabled }, 'list');
}

async function placeOrder() {
  if (isOffline()) return;
  const payload = await mutate(PLACE_ORDER, { quoteId: state.quoteId }, 'order');
  if (payload && !payload.userErrors.length) notify(t('orderPlaced'));
}

function openCompletion(contactId) {
  state.completing = contactId;
  state.errors.complete = [];
  const contact = findEligible(contactId)?.contact;
  for (const f of FIELDS) $(`complete-${f.name}`).value = contact?.[f.name] ?? '';
  render();
  const firstMissing = contact?.missingFields.map((m) => MISSING_TO_FIELD[m])[0] ?? 'lastName';
  $(`complete-${firstMissing}`).focus();
}

function closeCompletion(focusSource) {
  state.completing = null;
  state.errors.complete = [];
  render();
  if (focusSource) $(`${focusSource}-select`).focus();
}

async function saveCompletion(event) {
  event.preventDefault();
  if (isOffline()) return;
  const contactId = state.completing;
  const input = { contactId };
  for (const f of FIELDS) input[f.name] = $(`complete-${f.name}`).value.trim();
  const payload = await mutate(UPDATE_CONTACT, input, 'complete');
  if (!payload) return;
  if (payload.userErrors.length) { focusFirstInvalid('complete'); return; }
  const source = sourceOf(contactId);
  state.completing = null;
  await refreshQuote();                       // the contact can now be added at once
  if (source) { state.selected[source] = contactId; render(); $(`${source}-add`).focus(); }
  notify(t('completed'));
}

function focusFirstInvalid(prefix) {
  const field = FIELDS.find((f) => $(`${prefix}-${f.name}`).getAttribute('aria-invalid') === 'true');
  if (field) $(`${prefix}-${field.name}`).focus();
}

// --- rendering -----------------------------------------------------------------------------
function findEligible(contactId) {
  const lists = state.quote?.eligibleContacts;
  return lists && [...lists.client, ...lists.partner].find((e) => e.contact.id === contactId);
}
function sourceOf(contactId) {
  const lists = state.quote?.eligibleContacts;
  if (lists?.client.some((e) => e.contact.id === contactId)) return 'client';
  if (lists?.partner.some((e) => e.contact.id === contactId)) return 'partner';
  return null;
}

function render() {
  const focusedId = document.activeElement?.id;
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t(el.dataset.tLabel));
  $('lang-switch').textContent = t('switchLang');
  $('lang-switch').lang = state.lang === 'fr' ? 'en' : 'fr';
  $('user-select').value = state.token;
  const offline = isOffline();
  $('offline').hidden = !offline;
  $('offline').textContent = offline ? t('offline') : '';
  setContent($('global-errors'), errorList(state.errors.global));
  renderLive();
  renderQuotePicker();
  const q = state.quote;
  $('step2').hidden = !q;
  if (q) {
    // A frozen list (order placed, or no right to change it) is a plain read-only table: no
    // menus, no form, no button. Offline, the controls stay but are disabled.
    const frozen = !q.viewerCanEdit;
    const canChange = !frozen && !offline;
    renderNotices(q);
    $('pickers').hidden = frozen;
    $('adhoc-form').hidden = frozen;
    if (frozen) {
      $('complete-form').hidden = true;
    } else {
      renderPicker('client', q, canChange);
      renderPicker('partner', q, canChange);
      renderCompletion(q, canChange);
      renderForm('adhoc', state.errors.adhoc, false, !canChange);
    }
    const ui = { $, h, t, setContent, labelOf, fullName, errorList };
    renderSuggestions(ui, { q, suggestions: state.suggestions, result: state.suggestionResult,
      errors: state.errors.suggestions, canChange, onApply: applySuggestion });
    if (frozen) $('suggestions-card').hidden = true;
    renderTable(q, frozen, canChange);
    renderUndo(canChange);
    renderSaveDefaults(ui, { q, viewer: state.viewer, errors: state.errors.defaults, offline, onSave: saveDefaults });
    drawHistory();
    renderValidation(q, frozen);
    $('place-order').hidden = frozen;
    $('place-order').disabled = !canChange;
    setContent($('order-errors'), errorList(state.errors.order));
  }
  if (focusedId && document.activeElement?.id !== focusedId) $(focusedId)?.focus();
}

function drawHistory() {
  const { view } = quoteHistory;
  const errors = view.error && view.error.code !== 'NETWORK' ? messagesOf(view.error) : [];   // the banner says NETWORK
  renderHistory({ $, h, t, setContent, errorList }, { view, lang: state.lang, errors });
}

function renderLive() {
  const el = $('live-status');
  el.textContent = t(`live${state.live}`);
  el.dataset.state = state.live;
}

function renderQuotePicker() {
  const select = $('quote-select');
  const open = state.quotes.some((q) => q.id === state.quoteId);
  const options = state.quotes.map((q) => h('option', { value: q.id, selected: q.id === state.quoteId },
    `${q.reference} — ${q.client.name} (${t(q.status)})`));
  if (!state.quotes.length) options.push(h('option', { value: '' }, t('noQuote')));
  else if (!open) options.unshift(h('option', { value: '', selected: true }, t('chooseQuote')));
  syncOptions(select, options);
  const q = state.quote;
  setContent($('quote-summary'), q && h('dl', {},
    h('dt', {}, t('client')), h('dd', {}, q.client.name),
    h('dt', {}, t('products')),
    h('dd', {}, h('ul', {}, q.lines.map((l) => h('li', {},
      `${l.quantity} × ${l.product.name}`,
      l.product.requiresOnSiteContact && h('span', { class: 'tag' }, t('needsON_SITE')),
      l.product.requiresDeliveryContact && h('span', { class: 'tag' }, t('needsDELIVERY'))))))));
}

// Rebuilds a select's options only when they changed, so an open list is not disturbed.
function syncOptions(select, options) {
  const signature = options.map((o) =>
    `${o.value}|${o.textContent}|${o.hasAttribute('selected')}|${o.hasAttribute('disabled')}`).join('\n');
  if (select.dataset.signature === signature) return;
  select.dataset.signature = signature;
  select.replaceChildren(...options);
  const chosen = options.find((o) => o.hasAttribute('selected'));
  select.value = chosen ? chosen.value : options[0]?.value ?? '';
}

function renderNotices(q) {
  const readOnly = !q.viewerCanEdit && q.status === 'DRAFT';
  $('read-only').hidden = !readOnly;
  $('read-only').textContent = t('readOnly');
  $('ordered').hidden = q.status !== 'ORDERED';
  $('ordered').textContent = q.orderedAt
    ? t('ordered', { date: new Date(q.orderedAt).toLocaleString(state.lang) }) : '';
}

// A contact as a line of a drop-down: name, role, phone, email, and why it cannot be added.
function optionText(entry) {
  const c = entry.contact;
  const onQuote = entry.reasons.some((r) => r.code === 'CONTACT_ALREADY_ON_QUOTE');
  const notes = [onQuote && t('alreadyOnQuote'), !c.isComplete && t('incomplete')].filter(Boolean);
  return [fullName(c), c.role, formatPhone(c.phone), c.email].filter(Boolean).join(' — ') +
    (notes.length ? ` (${notes.join(', ')})` : '');
}

// Every word of the query in the name, role or email (case and accents ignored); or, for a
// query of digits, the phone as stored (+33612345678) or as written in France (06 12 34 56 78).
function matches(contact, query) {
  if (!query) return true;
  const text = fold([fullName(contact), contact.role, contact.email].join(' '));
  if (fold(query).split(/\s+/).filter(Boolean).every((word) => text.includes(word))) return true;
  const digits = query.replace(/\D/g, '');
  const phone = `${(contact.phone ?? '').replace(/\D/g, '')} ${formatPhone(contact.phone).replace(/\D/g, '')}`;
  return /^[\d\s+().-]+$/.test(query) && digits.length >= 2 && phone.includes(digits);
}

function renderPicker(source, q, canChange) {
  const eligible = q.eligibleContacts[source];
  if (state.selected[source] && !eligible.some((e) => e.contact.id === state.selected[source])) {
    state.selected[source] = '';
  }
  // A long list can be filtered by typing (name, role, email or phone).
  const filtering = eligible.length >= FILTER_FROM;
  $(`${source}-filter-row`).hidden = !filtering;
  const query = filtering ? state.filter[source].trim() : '';
  const shown = eligible.filter((e) => e.contact.id === state.selected[source] || matches(e.contact, query));
  // Contacts already on the quote stay listed, marked, and cannot be chosen.
  const options = [h('option', { value: '' }, t('choose'))].concat(shown.map((e) =>
    h('option', { value: e.contact.id, selected: e.contact.id === state.selected[source],
      disabled: e.reasons.some((r) => r.code === 'CONTACT_ALREADY_ON_QUOTE') }, optionText(e))));
  if (!shown.length && query) options.push(h('option', { value: '', disabled: true }, t('noMatch')));
  syncOptions($(`${source}-select`), options);
  $(`${source}-count`).textContent = query ? t('filterCount', { shown: shown.length, total: eligible.length }) : '';

  const chosen = eligible.find((e) => e.contact.id === state.selected[source]);
  $(`${source}-add`).disabled = !canChange || !chosen?.canAdd;
  setContent($(`${source}-chosen`), chosen &&
    [chosen.contact.phone && `${t('phoneShort')} ${formatPhone(chosen.contact.phone)}`, chosen.contact.email]
      .filter(Boolean).join(' · '));
  const reasons = chosen ? chosen.reasons : [];
  const incomplete = reasons.find((r) => r.code === 'CONTACT_INCOMPLETE');
  const missing = incomplete && chosen.contact.missingFields.map((m) => t(MISSING_TO_FIELD[m]).toLowerCase()).join(', ');
  setContent($(`${source}-reasons`),
    reasons.length > 0 && h('ul', {}, reasons.map((r) => r === incomplete && chosen.contact.canEdit
      ? h('li', {}, t('incompleteBefore'),
          h('a', { href: '#complete-form', id: `${source}-complete`,
            onclick: (e) => { e.preventDefault(); openCompletion(chosen.contact.id); } }, t('incompleteLink')),
          t('incompleteAfter'))
      : h('li', {}, r.message))),
    incomplete && missing && h('p', {}, t('missingList', { fields: missing })),
    incomplete && !chosen.contact.canEdit && h('p', { class: 'no-right' }, t('noEditRight')));
  setContent($(`${source}-errors`), errorList(state.errors[source]));
}

function renderCompletion(q, canChange) {
  const entry = state.completing && findEligible(state.completing);
  if (state.completing && (!entry || entry.contact.isComplete && !state.errors.complete.length)) state.completing = null;
  const form = $('complete-form');
  form.hidden = !state.completing;
  if (!state.completing) return;
  const contact = entry.contact;
  $('complete-heading').textContent = t('completeTitle', { name: fullName(contact) });
  const missing = new Set(contact.missingFields.map((m) => MISSING_TO_FIELD[m]));
  for (const f of FIELDS) {
    $(`complete-${f.name}-missing`).textContent = missing.has(f.name) ? `(${t('missing')})` : '';
  }
  renderForm('complete', state.errors.complete, !contact.canEdit, !canChange);
}

// Shows each userError under the input its `field` path names; the others above the buttons.
// A refused phone says which format is expected.
function renderForm(prefix, errors, disabled, submitDisabled) {
  const names = new Set(FIELDS.map((f) => f.name));
  for (const f of FIELDS) {
    const mine = errors.filter((e) => fieldOf(e) === f.name);
    const input = $(`${prefix}-${f.name}`);
    input.disabled = disabled;
    input.setAttribute('aria-invalid', mine.length ? 'true' : 'false');
    setContent($(`${prefix}-${f.name}-error`), mine.map((e) => h('span', {}, e.message)),
      mine.some((e) => e.code === 'INVALID_PHONE') && h('span', {}, t('phoneFormat')));
    const label = $(`${prefix}-${f.name}-label`);
    label.firstChild.textContent = t(f.name);
    label.querySelector('abbr')?.setAttribute('title', t('required'));
    if (f.hint) $(`${prefix}-${f.name}-hint`).textContent = t(f.hint);
  }
  setContent($(`${prefix}-errors`), errorList(errors.filter((e) => !names.has(fieldOf(e)))));
  for (const b of $(`${prefix}-form`).querySelectorAll('button[type=submit]')) b.disabled = disabled || submitDisabled;
}

// Rebuilt only when something it shows has changed: a redraw for another part of the screen (an
// event that changes nothing here, suggestions arriving) leaves its boxes and buttons as they
// are, under the pointer or the finger. A box the user clicked is still set back to what the
// quote says (a refused change leaves the quote as it was).
function renderTable(q, frozen, canChange) {
  const table = $('contacts-table');
  const key = JSON.stringify([state.lang, frozen, canChange, state.functions, q.contactRequirements, q.assignments,
    q.contactValidation, state.errors.list]);
  if (table.dataset.key === key) {
    for (const a of q.assignments) {
      for (const f of state.functions) {
        const box = $(`fn-${a.id}-${f.function}`);
        if (box) box.checked = a.functions.includes(f.function);
      }
    }
    return;
  }
  table.dataset.key = key;
  const requirements = Object.fromEntries(q.contactRequirements.map((r) => [r.function, r]));
  const columns = state.functions.map((f) => ({ ...f, requirement: requirements[f.function] }));
  setContent(table.tHead, h('tr', { role: 'row' },
    h('th', { scope: 'col', role: 'columnheader', class: 'col-who' }, t('contact')),
    !frozen && h('th', { scope: 'col', role: 'columnheader', class: 'col-remove' }, t('remove')),
    columns.map((c) => h('th', { scope: 'col', role: 'columnheader', id: `col-${c.function}` },
      h('span', { class: 'col-label' }, c.label),
      h('span', { class: 'tip' },
        h('button', { type: 'button', class: 'info', 'aria-label': t('helpFor', { label: c.label }),
          'aria-describedby': `help-${c.function}` }, 'i'),
        h('span', { role: 'tooltip', id: `help-${c.function}` }, c.help)),
      !frozen && c.requirement && h('span', { class: 'requirement', id: `req-${c.function}` },
        c.requirement.summary, h('span', { class: 'count' }, ` (${c.requirement.count}/${c.requirement.max})`))))));
  // What is wrong with each contact, on its own row: the rules' errors and warnings, and the
  // errors of the last refused change.
  const v = q.contactValidation;
  const rowErrors = (a) => state.errors.list.filter((e) => e.assignmentId === a.id);
  const rows = q.assignments.map((a) => {
    const name = fullName(a);
    const bad = frozen ? [] : rowErrors(a);
    const problems = frozen ? [] : [...v.errors, ...v.warnings].filter((e) => e.assignmentId === a.id);
    const noFunction = problems.some((e) => e.code === 'CONTACT_WITHOUT_FUNCTION');
    const badges = problems.map((e, i) => e.code === 'CONTACT_WITHOUT_FUNCTION'
      ? h('span', { class: 'badge error', id: `problem-${a.id}-${i}` }, t('noFunction'))
      : e.code === 'PHONE_NOT_MOBILE'
        ? h('span', { class: 'badge warning', id: `problem-${a.id}-${i}` }, t('notMobile', { label: labelOf(e.function) }))
        : null);
    const badgeIds = badges.filter(Boolean).map((b) => b.id).join(' ');
    return h('tr', { role: 'row', class: bad.length || noFunction ? 'invalid' : null },
      h('th', { scope: 'row', role: 'rowheader', class: 'who', title: t('roleIs', { role: a.role }), id: `name-${a.id}` },
        icon('person'),
        h('span', { class: 'name' }, name),
        h('span', { class: 'source' }, ` ${t(a.source)}`),
        h('span', { class: 'details' }, [a.role, formatPhone(a.phone)].filter(Boolean).join(' · ')),
        badges),
      !frozen && h('td', { role: 'cell', class: 'remove-cell' },
        h('button', { type: 'button', class: 'remove', id: `remove-${a.id}`, disabled: !canChange,
          'aria-label': t('removeContact', { name }), onclick: () => removeAssignment(a.id) }, icon('trash'))),
      columns.map((c) => {
        const on = a.functions.includes(c.function);
        if (frozen) {
          return h('td', { role: 'cell', class: 'fn mark' },
            h('span', { class: 'fn-label' }, c.label),
            on ? [icon('check'), h('span', { class: 'visually-hidden' }, t('yes'))]
              : [h('span', { class: 'dash', 'aria-hidden': 'true' }, '–'), h('span', { class: 'visually-hidden' }, t('no'))]);
        }
        const fnErrors = bad.filter((e) => e.function === c.function);
        const id = `fn-${a.id}-${c.function}`;
        return h('td', { role: 'cell', class: 'fn' },
          h('label', { class: 'fn-label', for: id }, c.label),
          h('input', {
            type: 'checkbox', id, checked: on, disabled: !canChange,
            'aria-label': t('fnFor', { label: c.label, name }),
            'aria-invalid': fnErrors.length || noFunction ? 'true' : null,
            'aria-describedby': fnErrors.length ? 'list-errors' : noFunction ? badgeIds : `req-${c.function}`,
            onchange: (e) => setFunction(a.id, c.function, e.target.checked),
          }));
      }));
  });
  setContent(table.tBodies[0], rows.length ? rows
    : h('tr', { role: 'row' }, h('td', { role: 'cell', colspan: String((frozen ? 1 : 2) + columns.length), class: 'empty' },
      t('noContacts'))));
  setContent($('list-errors'), errorList(state.errors.list));
}

// The contact just removed, with a button to put it back, until the next change.
function renderUndo(canChange) {
  const a = state.undo;
  setContent($('undo'), a && [
    h('span', {}, t('removed', { name: fullName(a) })),
    h('button', { type: 'button', class: 'link', id: 'undo-remove', disabled: !canChange,
      'aria-label': t('undoName', { name: fullName(a) }), onclick: undoRemoval }, t('undo'))]);
}

function renderValidation(q, frozen) {
  // An ordered quote has nothing left to check; a read-only viewer reads what remains, as
  // information rather than as something to correct.
  $('validation-card').hidden = q.status === 'ORDERED';
  const v = q.contactValidation;
  const key = JSON.stringify([state.lang, frozen, v, q.assignments.map((a) => [a.id, fullName(a)])]);
  const el = $('validation');
  if (el.dataset.key === key) return;   // unchanged: do not announce it again
  el.dataset.key = key;
  setContent(el,
    v.errors.length ? [h('h4', {}, frozen ? t('pending') : t('errors')),
      h('ul', { class: frozen ? 'pending' : 'errors' }, v.errors.map(errorItem))]
      : q.status === 'DRAFT' && h('p', { class: 'ok' }, t('valid')),
    v.warnings.length > 0 && [h('h4', {}, t('warnings')),
      h('ul', { class: 'warnings' }, v.warnings.map(errorItem))]);
}

// --- the static parts, built once -----------------------------------------------------------
function buildFields(prefix) {
  const container = document.querySelector(`[data-prefix="${prefix}"]`);
  container.replaceChildren(...FIELDS.map((f) => h('div', { class: 'field' },
    h('label', { for: `${prefix}-${f.name}`, id: `${prefix}-${f.name}-label` }, '',
      f.required && h('abbr', { title: '' }, ' *'),
      h('span', { class: 'missing', id: `${prefix}-${f.name}-missing` })),
    h('input', { id: `${prefix}-${f.name}`, name: f.name, type: f.type, autocomplete: f.autocomplete,
      'aria-required': f.required ? 'true' : null,
      'aria-describedby': [f.hint && `${prefix}-${f.name}-hint`, `${prefix}-${f.name}-error`].filter(Boolean).join(' ') }),
    f.hint && h('div', { class: 'field-hint', id: `${prefix}-${f.name}-hint` }),
    h('div', { class: 'field-error', id: `${prefix}-${f.name}-error`, 'aria-live': 'polite' }))));
}

function updateUrl() {
  const p = new URLSearchParams({ user: state.token, lang: state.lang });
  if (state.quoteId) p.set('quote', state.quoteId);
  history.replaceState(null, '', `?${p}`);
}

function start() {
  buildFields('adhoc');
  buildFields('complete');
  // The API's texts (messages, suggestions) are per user and language: read them again.
  const forget = () => {
    for (const k of Object.keys(state.errors)) state.errors[k] = [];
    state.suggestions = null;
    state.suggestionResult = null;
    quoteHistory.forget();
  };
  $('user-select').addEventListener('change', (e) => {
    state.token = e.target.value;
    forget();
    client.restart();
    loadAll();
  });
  $('lang-switch').addEventListener('click', () => {
    state.lang = state.lang === 'fr' ? 'en' : 'fr';
    forget();
    client.restart();            // events come in the language of connection_init
    render();
    loadAll();
  });
  $('quote-select').addEventListener('change', (e) => openQuote(e.target.value || null));
  for (const source of ['client', 'partner']) {
    $(`${source}-select`).addEventListener('change', (e) => {
      state.selected[source] = e.target.value;
      state.errors[source] = [];
      if (state.completing && state.completing !== e.target.value) state.completing = null;
      render();
    });
    $(`${source}-filter`).addEventListener('input', (e) => {
      state.filter[source] = e.target.value;
      render();
    });
    $(`${source}-add`).addEventListener('click', () => addSelected(source));
  }
  $('adhoc-form').addEventListener('submit', addAdhoc);
  $('complete-form').addEventListener('submit', saveCompletion);
  $('complete-cancel').addEventListener('click', () => closeCompletion(sourceOf(state.completing)));
  $('place-order').addEventListener('click', placeOrder);
  $('history-toggle').addEventListener('click', () => {
    if (quoteHistory.view.loading) return;
    if (quoteHistory.view.expanded) quoteHistory.showLatest(); else quoteHistory.showAll();
  });
  // Escape hides an open tooltip (WCAG 1.4.13) until the pointer or focus leaves it.
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') document.activeElement?.closest('.tip')?.classList.add('dismissed');
  });
  for (const type of ['focusout', 'mouseout']) {
    document.addEventListener(type, (e) => e.target.closest?.('.tip')?.classList.remove('dismissed'));
  }
  render();
  loadAll();
}

start();
