// A tiny GraphQL client: queries and mutations over fetch, subscriptions over the
// graphql-transport-ws protocol on the browser's WebSocket, reconnecting with backoff.
//
//   const client = createClient({ httpUrl, wsUrl, headers: () => ({ Authorization: ... }) });
//   const data = await client.request(QUERY, variables);          // throws GraphQLRequestError
//   const stop = client.subscribe(SUBSCRIPTION, variables, { next, error, complete });
//   client.restart();   // new connection_init (e.g. after a change of token or language)
//   await client.reachable();   // true once the server answers HTTP again (after a NETWORK error)
//
// onStatus(status) tells the socket's state: connecting, connected, reconnecting (lost, or
// not reachable: the server is gone or the network is down), unauthorized, idle.

export class GraphQLRequestError extends Error {
  // code: the first error's extensions.code, or NETWORK when no answer came (no server, no
  // network, or no answer within REQUEST_TIMEOUT_MS).
  constructor(errors, status, requestId = null) {
    super(errors.map((e) => e.message).join('\n'));
    this.errors = errors;
    this.status = status;
    this.code = errors[0]?.extensions?.code;
    this.requestId = requestId;
  }
}

const REQUEST_TIMEOUT_MS = 30000;
const PING_EVERY_MS = 15000;   // the client pings; no pong in time means a dead connection
const PONG_WITHIN_MS = 5000;
const BACKOFF_FIRST_MS = 300;
const BACKOFF_MAX_MS = 8000;

export function createClient({ httpUrl, wsUrl, headers, onStatus = () => {} }) {
  function post(body) {
    return fetch(httpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers() },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  async function request(query, variables = {}) {
    let response;
    try {
      response = await post({ query, variables });
    } catch (e) {
      // The browser's own words ("Failed to fetch") are for developers: the code says what happened.
      throw new GraphQLRequestError([{ message: e.message, extensions: { code: 'NETWORK' } }], 0);
    }
    const requestId = response.headers.get('X-Request-ID');
    let body;
    try {
      body = await response.json();
    } catch {
      throw new GraphQLRequestError([{ message: `HTTP ${response.status}` }], response.status, requestId);
    }
    if (body.errors?.length) throw new GraphQLRequestError(body.errors, response.status, requestId);
    return body.data;
  }

  // Whether the server answers at all (any HTTP status will do).
  async function reachable() {
    try {
      await post({ query: '{ __typename }' });
      return true;
    } catch {
      return false;
    }
  }

  // --- subscriptions -------------------------------------------------------------------
  const subs = new Map();          // id -> { query, variables, sink }
  let socket = null;               // the current WebSocket, or null
  let acked = false;
  let everAcked = false;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let nextId = 1;

  const send = (msg) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(msg));
  const sendSubscribe = (id, s) => send({ id, type: 'subscribe', payload: { query: s.query, variables: s.variables } });

  // status: 'reconnecting' after a connection was lost, 'connecting' for a first one or a restart.
  function connect(status = everAcked ? 'reconnecting' : 'connecting') {
    clearTimeout(retryTimer);
    retryTimer = null;
    acked = false;
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket = ws;
    onStatus(status);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: headers() }));
    ws.onmessage = (event) => {
      if (ws !== socket) return;
      let msg;
      try { msg = JSON.parse(event.data); } catch { ws.close(4400, 'Invalid message'); return; }
      switch (msg.type) {
        case 'connection_ack': {
          acked = true;
          attempt = 0;
          const reconnected = everAcked;
          everAcked = true;
          for (const [id, s] of subs) sendSubscribe(id, s);
          startHeartbeat();
          onStatus('connected', { reconnected });
          break;
        }
        case 'ping': send({ type: 'pong' }); break;
        case 'pong': clearTimeout(pongTimer); break;
        case 'next': subs.get(msg.id)?.sink.next?.(msg.payload); break;
        case 'error': {
          const s = subs.get(msg.id);
          subs.delete(msg.id);
          s?.sink.error?.(msg.payload);
          break;
        }
        case 'complete': {
          const s = subs.get(msg.id);
          subs.delete(msg.id);
          s?.sink.complete?.();
          break;
        }
      }
    };
    ws.onclose = (event) => {
      if (ws !== socket) return;   // a socket we replaced on purpose
      socket = null;
      acked = false;
      stopHeartbeat();
      if (event.code === 4401 || event.code === 4403) {
        onStatus('unauthorized');
        for (const [, s] of subs) s.sink.error?.([{ message: event.reason || 'Forbidden' }]);
        subs.clear();
        return;
      }
      if (subs.size === 0) { onStatus('idle'); return; }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);   // jitter
    attempt += 1;
    onStatus('reconnecting', { delay });
    retryTimer = setTimeout(connect, delay);
  }

  function startHeartbeat() {
    stopHeartbeat();
    pingTimer = setInterval(() => {
      send({ type: 'ping' });
      clearTimeout(pongTimer);
      pongTimer = setTimeout(() => socket?.close(4408, 'No pong'), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  function stopHeartbeat() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
  }

  function subscribe(query, variables, sink) {
    const id = String(nextId++);
    subs.set(id, { query, variables, sink });
    if (acked) sendSubscribe(id, subs.get(id));
    else if (!socket && !retryTimer) connect('connecting');
    return () => {
      if (subs.delete(id) && acked) send({ id, type: 'complete' });
    };
  }

  // Drops the connection and opens a new one with fresh connection_init headers;
  // the subscriptions still listening are sent again.
  function restart() {
    const old = socket;
    socket = null;
    acked = false;
    stopHeartbeat();
    old?.close(1000, 'Restart');
    clearTimeout(retryTimer);
    retryTimer = null;
    attempt = 0;
    if (subs.size) connect('connecting');   // a change of headers, not a lost connection
  }

  // Back online: do not wait for the backoff.
  window.addEventListener('online', () => {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; attempt = 0; connect(); }
  });

  return { request, reachable, subscribe, restart };
}
