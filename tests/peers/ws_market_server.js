#!/usr/bin/env node
// A venue's WebSocket market-data endpoint for the live-feed tests (tickpipe live, SPEC section 10),
// on 127.0.0.1 only. Plays recorded venue messages after the client's subscribe request, answers
// it like Binance or Coinbase, pings, and injects one fault per run. Every option: tests/peers/README.md.
//
// Needs Node.js >= 18 and Debian's node-ws (ws 8.11): run with NODE_PATH=/usr/share/nodejs
// (tests/peers/ws_market_server.hpp does). Prints exactly one line to stdout, {"port":N}, once
// listening; everything else goes to stderr.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');

let WebSocketServer;
try {
  ({ WebSocketServer } = require('ws'));
} catch (e) {
  try {
    ({ WebSocketServer } = require('/usr/share/nodejs/ws'));
  } catch (e2) {
    process.stderr.write('ws_market_server: cannot load the ws module; install Debian\'s node-ws and run with ' +
                         'NODE_PATH=/usr/share/nodejs (' + e.message + ')\n');
    process.exit(2);
  }
}

const HOST = '127.0.0.1';
const FAULTS = ['drop', 'reset', 'close1000', 'close1001', 'close1006', 'http503', 'silent', 'stall', 'garbage',
                'oversized', 'server_shutdown'];
const REST_FAULTS = ['none', '429', '500', 'drop', 'stall', 'garbage', 'chunked', 'slow'];
const USAGE = `usage: ws_market_server.js [options]
  --port N                 listen on 127.0.0.1:N (default 0: the kernel picks); prints {"port":N} when listening
  --tls CERT.pem,KEY.pem   wss: an https server with this certificate and key
  --deflate                accept permessage-deflate (threshold 0: every message compressed)
  --messages FILE          recorded venue messages, one per line
  --strip-prefix           every line is "<digits> <payload>": send the payload (default: detected from line 1)
  --no-strip-prefix        send every line as it is
  --venue binance|coinbase|none   how the subscribe request is answered (default binance)
  --stream-on-connect      start the messages at once instead of after the client's first text message
  --only-subscribed        send a connection only the messages of the symbols it subscribed (Binance params)
  --pause-after K          after K data messages, send no data for --pause-ms (pings go on), then go on
  --pause-ms N             the pause (default 3000)
  --rate N                 data messages per second (default 0: as fast as the socket takes them)
  --repeat K               play the file K times (default 1; 0: until the server stops)
  --record FILE            append every text message a client sends, one per line
  --ping-ms N              ping every N ms (payload "ping-<conn>-<seq>"; default 0: never)
  --pong-timeout-ms N      close (1008) a connection whose pong echoing a ping is N ms late (default 60000)
  --fault NAME             ${FAULTS.join(' | ')}
  --fault-after K          data messages sent before the fault (default 10)
  --fault-every            the fault hits every connection (default: the first one only)
  --oversized-bytes N      size of the oversized message (default 20971520)
  --shutdown-grace-ms N    server_shutdown: close 1001 this long after the event (default 10000)
  --log-connections FILE   append one JSON line per connection event
  --max-seconds N          exit 0 after N seconds (default 300; 0: no limit)
  --rest-depth FILE        answer GET /api/v3/depth and /fapi/v1/depth (with symbol=) with FILE's bytes
  --rest-fault NAME        ${REST_FAULTS.join(' | ')} (the REST depth answers; default none)
  --resubscribe-reply FILE after the ack of every {"type":"subscribe"} but a connection's first, send
                           FILE's messages (a Coinbase level2 snapshot for a resubscribed product)
`;

function die(msg) {
  process.stderr.write(`ws_market_server: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    port: 0, tls: null, deflate: false, messages: null, strip: 'auto', venue: 'binance', streamOnConnect: false,
    rate: 0, repeat: 1, record: null, pingMs: 0, pongTimeoutMs: 60000, fault: null, faultAfter: 10,
    faultEvery: false, oversizedBytes: 20 * 1024 * 1024, shutdownGraceMs: 10000, logConnections: null,
    maxSeconds: 300, onlySubscribed: false, pauseAfter: 0, pauseMs: 3000, restDepth: null, restFault: 'none', resubscribeReply: null,
  };
  const int = (name, v, min = 0) => {
    if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
      die(`${name} needs an integer >= ${min}, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--port': o.port = int(a, val()); if (o.port > 65535) die('--port: at most 65535'); break;
      case '--tls': {
        const v = val();
        const comma = v.lastIndexOf(',');
        if (comma <= 0 || comma === v.length - 1) die('--tls needs CERT.pem,KEY.pem');
        o.tls = { cert: v.slice(0, comma), key: v.slice(comma + 1) };
        break;
      }
      case '--deflate': o.deflate = true; break;
      case '--messages': o.messages = val(); break;
      case '--strip-prefix': o.strip = 'yes'; break;
      case '--no-strip-prefix': o.strip = 'no'; break;
      case '--venue': o.venue = val(); if (!['binance', 'coinbase', 'none'].includes(o.venue)) die(`unknown venue ${o.venue}`); break;
      case '--stream-on-connect': o.streamOnConnect = true; break;
      case '--only-subscribed': o.onlySubscribed = true; break;
      case '--pause-after': o.pauseAfter = int(a, val(), 1); break;
      case '--pause-ms': o.pauseMs = int(a, val()); break;
      case '--rate': {
        const v = val();
        if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) die(`--rate needs a number >= 0, got ${JSON.stringify(v)}`);
        o.rate = Number(v);
        break;
      }
      case '--repeat': o.repeat = int(a, val()); break;
      case '--record': o.record = val(); break;
      case '--ping-ms': o.pingMs = int(a, val()); break;
      case '--pong-timeout-ms': o.pongTimeoutMs = int(a, val(), 1); break;
      case '--fault': o.fault = val(); if (!FAULTS.includes(o.fault)) die(`unknown fault ${o.fault}`); break;
      case '--fault-after': o.faultAfter = int(a, val()); break;
      case '--fault-every': o.faultEvery = true; break;
      case '--oversized-bytes': o.oversizedBytes = int(a, val(), 1); break;
      case '--shutdown-grace-ms': o.shutdownGraceMs = int(a, val()); break;
      case '--log-connections': o.logConnections = val(); break;
      case '--max-seconds': o.maxSeconds = int(a, val()); break;
      case '--rest-depth': o.restDepth = val(); break;
      case '--resubscribe-reply': o.resubscribeReply = val(); break;
      case '--rest-fault': o.restFault = val(); if (!REST_FAULTS.includes(o.restFault)) die(`unknown REST fault ${o.restFault}`); break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: die(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return o;
}

const opt = parseArgs(process.argv.slice(2));

// ---- the recording -------------------------------------------------------------------------------
// Lines are split on \n, a trailing \r is dropped, blank lines are skipped. The files in tests/data/
// are "<receive ns> <payload>": with neither --strip-prefix nor --no-strip-prefix the first line
// decides (it starts with digits and a space: strip every line, and every line must have the prefix).
function loadMessages(path) {
  if (!path) return [];
  let text;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    die(`--messages: ${e.message}`);
  }
  const lines = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') lines.push({ line, no: idx + 1 });
  });
  const prefix = /^[0-9]+ /;
  let strip = opt.strip;
  if (strip === 'auto') strip = lines.length > 0 && prefix.test(lines[0].line) ? 'yes' : 'no';
  return lines.map(({ line, no }) => {
    if (strip === 'no') return Buffer.from(line, 'utf8');
    const m = prefix.exec(line);
    if (!m || line.length === m[0].length) die(`${path}:${no}: no "<timestamp> <payload>" prefix to strip`);
    return Buffer.from(line.slice(m[0].length), 'utf8');
  });
}

const messages = loadMessages(opt.messages);
const resubscribeReply = loadMessages(opt.resubscribeReply);
// --only-subscribed: each message's symbol, lower case ("s", or "data.s" in a combined stream), or
// null when it has none (those are sent to every connection).
const messageSymbols = opt.onlySubscribed ? messages.map((m) => {
  try {
    const j = JSON.parse(m.toString('utf8'));
    const s = (j && typeof j.s === 'string') ? j.s : (j && j.data && typeof j.data.s === 'string' ? j.data.s : null);
    return s === null ? null : s.toLowerCase();
  } catch (e) {
    return null;
  }
}) : null;
const totalData = opt.repeat === 0 ? Infinity : messages.length * opt.repeat;

// ---- logging -------------------------------------------------------------------------------------
function logErr(msg) {
  process.stderr.write(`ws_market_server[${process.pid}]: ${msg}\n`);
}

function logEvent(ev) {
  const line = JSON.stringify({ ...ev, t: Date.now() });  // t: ms since the epoch
  logErr(line);
  if (opt.logConnections) {
    try {
      fs.appendFileSync(opt.logConnections, line + '\n');
    } catch (e) {
      logErr(`--log-connections: ${e.message}`);
    }
  }
}

function record(text) {
  if (!opt.record) return;
  try {
    fs.appendFileSync(opt.record, text + '\n');
  } catch (e) {
    logErr(`--record: ${e.message}`);
  }
}

// ---- venue answers -------------------------------------------------------------------------------
// Binance: {"result":null,"id":<id>} with the request's id token copied as written (so a uint64 id
// above 2^53 comes back exactly); null when the request has none or is not JSON.
function binanceAck(text) {
  let id = 'null';
  try {
    const obj = JSON.parse(text);
    if (obj !== null && typeof obj === 'object' && 'id' in obj) {
      const m = /"id"\s*:\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|"(?:[^"\\]|\\.)*"|null)/.exec(text);
      id = m ? m[1] : JSON.stringify(obj.id);
    }
  } catch (e) { /* not JSON: id null */ }
  return `{"result":null,"id":${id}}`;
}

// Coinbase: {"type":"subscriptions","channels":[{"name":..,"product_ids":[..]},..]} from the request's
// channels (names or {"name","product_ids"} objects) and top-level product_ids.
function coinbaseAck(text) {
  let channels = [];
  try {
    const req = JSON.parse(text);
    const products = Array.isArray(req.product_ids) ? req.product_ids : [];
    if (Array.isArray(req.channels)) {
      channels = req.channels.map((c) => (typeof c === 'string'
        ? { name: c, product_ids: products }
        : { name: c && c.name, product_ids: (c && Array.isArray(c.product_ids)) ? c.product_ids : products }));
    }
  } catch (e) { /* not JSON: no channels */ }
  return JSON.stringify({ type: 'subscriptions', channels });
}

function ackFor(text) {
  if (opt.venue === 'binance') return binanceAck(text);
  if (opt.venue === 'coinbase') return coinbaseAck(text);
  return null;
}

// ---- connections ---------------------------------------------------------------------------------
let connCount = 0;
const sockets = new Set();  // every TCP/TLS socket, upgraded or not: destroyed at exit
const conns = new Set();    // open WebSocket connections
let stopping = false;

function faultHits(n) {
  return opt.fault !== null && (opt.faultEvery || n === 1);
}

const server = opt.tls
  ? https.createServer({ cert: readOrDie(opt.tls.cert), key: readOrDie(opt.tls.key) })
  : http.createServer();

function readOrDie(path) {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    return die(`--tls: ${e.message}`);
  }
}

server.on(opt.tls ? 'secureConnection' : 'connection', (sock) => {
  sockets.add(sock);
  sock.on('close', () => sockets.delete(sock));
});
if (opt.tls) {
  server.on('connection', (sock) => {  // the raw TCP socket: gone at exit even if TLS never completes
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  server.on('tlsClientError', (err) => logEvent({ event: 'tls_error', message: err.message }));
}

server.on('request', (req, res) => {  // plain HTTP, no upgrade
  if (restDepth !== null && /^\/(api\/v3|fapi\/v1)\/depth(\?|$)/.test(req.url)) return restDepthAnswer(req, res);
  res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
  res.end('WebSocket upgrade required\n');
  return undefined;
});

// ---- REST depth snapshot (--rest-depth, --rest-fault) --------------------------------------------
// GET /api/v3/depth (spot) and /fapi/v1/depth (futures), any query with a symbol=: the file's bytes.
// The faults 429, 500, drop, stall and garbage hit the first REST request only (the client's retry
// then succeeds); chunked and slow shape every answer.
const restDepth = opt.restDepth === null ? null : (() => {
  try {
    return fs.readFileSync(opt.restDepth);
  } catch (e) {
    return die(`--rest-depth: ${e.message}`);
  }
})();
let restCount = 0;

function restDepthAnswer(req, res) {
  const n = ++restCount;
  const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1 || req.url.length));
  const fault = n === 1 && ['429', '500', 'drop', 'stall', 'garbage'].includes(opt.restFault) ? opt.restFault
    : (['chunked', 'slow'].includes(opt.restFault) ? opt.restFault : 'none');
  logEvent({ event: 'rest', n, path: req.url, fault, accept_encoding: req.headers['accept-encoding'] || null });
  const sock = req.socket;
  if (!query.get('symbol')) {
    const body = '{"code":-1102,"msg":"Mandatory parameter \'symbol\' was not sent."}';
    res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body);
    return;
  }
  const json = { 'Content-Type': 'application/json;charset=UTF-8' };
  switch (fault) {
    case '429': {
      const body = '{"code":-1003,"msg":"Too many requests."}';
      res.writeHead(429, { ...json, 'Retry-After': '1', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      return;
    }
    case '500': {
      const body = '{"code":-1000,"msg":"An unknown error occurred."}';
      res.writeHead(500, { ...json, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      return;
    }
    case 'drop':  // the head and half the body, then the connection closes
      res.writeHead(200, { ...json, 'Content-Length': restDepth.length });
      res.write(restDepth.subarray(0, restDepth.length >> 1), () => sock.destroy());
      return;
    case 'stall':  // accepted, never answered: the socket stays open until the client gives up or we exit
      return;
    case 'garbage':  // bytes that are not HTTP, then the close
      sock.end(Buffer.from('\x16\x03\x01 this is not an HTTP response\r\n\r\n', 'latin1'));
      return;
    case 'chunked': {  // Transfer-Encoding: chunked (no Content-Length), in pieces of 1000 bytes
      res.writeHead(200, { ...json, Connection: 'close' });
      for (let at = 0; at < restDepth.length; at += 1000) res.write(restDepth.subarray(at, at + 1000));
      res.end();
      return;
    }
    case 'slow': {  // Content-Length, the body in 8 pieces 20 ms apart
      res.writeHead(200, { ...json, 'Content-Length': restDepth.length, Connection: 'close' });
      const piece = Math.ceil(restDepth.length / 8);
      let at = 0;
      const next = () => {
        if (sock.destroyed) return;
        res.write(restDepth.subarray(at, at + piece));
        at += piece;
        if (at >= restDepth.length) res.end();
        else setTimeout(next, 20);
      };
      next();
      return;
    }
    default:
      res.writeHead(200, { ...json, 'Content-Length': restDepth.length, Connection: 'close' });
      res.end(restDepth);
  }
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: opt.deflate ? { threshold: 0 } : false,
  maxPayload: 64 * 1024 * 1024,
});

server.on('upgrade', (req, socket, head) => {
  const n = ++connCount;
  const offers = String(req.headers['sec-websocket-extensions'] || '');
  logEvent({ event: 'connect', n, path: req.url, deflate_offered: /permessage-deflate/.test(offers) });
  socket.on('error', (e) => logErr(`connection ${n}: ${e.message}`));
  if (stopping) return socket.destroy();
  if (faultHits(n) && opt.fault === 'http503') {
    logEvent({ event: 'fault', n, fault: 'http503' });
    socket.once('close', () => logEvent({ event: 'close', n, code: null }));
    const body = 'Service Unavailable\n';
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n' +
               `Content-Length: ${body.length}\r\n\r\n${body}`);
    return undefined;
  }
  if (faultHits(n) && opt.fault === 'silent') {
    logEvent({ event: 'fault', n, fault: 'silent' });
    socket.once('close', () => logEvent({ event: 'close', n, code: null }));
    return undefined;  // never answered; the socket stays open until the client gives up or we exit
  }
  wss.handleUpgrade(req, socket, head, (ws) => onOpen(ws, n, socket));
  return undefined;
});

function onOpen(ws, n, socket) {
  const deflate = ws.extensions.split(',').includes('permessage-deflate');  // ws 8: the names, comma-joined
  const c = {
    n, ws, socket, sent: 0, symbols: new Set(), streaming: false, stopped: false, pingsStopped: false, fired: false, timers: [], pumpTimer: null,
    pending: new Map(), pingSeq: 0, faulty: faultHits(n),
  };
  conns.add(c);
  logEvent({ event: 'open', n, deflate });

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      logErr(`connection ${n}: binary message of ${data.length} bytes ignored`);
      return;
    }
    const text = data.toString('utf8');
    record(text);
    logEvent({ event: 'message', n, text });
    if (opt.onlySubscribed) {
      try {
        const j = JSON.parse(text);
        if (j && j.method === 'SUBSCRIBE' && Array.isArray(j.params))
          j.params.forEach((p) => { if (typeof p === 'string') c.symbols.add(p.split('@')[0]); });
      } catch (e) { /* not JSON: nothing subscribed */ }
    }
    const ack = ackFor(text);
    const first = !c.streaming;
    c.streaming = true;
    // A later subscribe (a resubscription): after its ack, the --resubscribe-reply messages.
    let isSubscribe = false;
    try { isSubscribe = JSON.parse(text).type === 'subscribe'; } catch (e) { /* not JSON */ }
    if (!first && isSubscribe && resubscribeReply.length > 0 && !c.stopped) {
      if (ack !== null) ws.send(ack, { binary: false });
      resubscribeReply.forEach((m) => ws.send(m, { binary: false }));
      logEvent({ event: 'resubscribe_reply', n, messages: resubscribeReply.length });
    } else if (ack !== null && !c.stopped) {
      // The data starts once the ack is written out, so the ack always comes first.
      ws.send(ack, { binary: false }, () => { if (first) startStream(c); });
    } else if (first) {
      startStream(c);
    }
  });
  ws.on('pong', (data) => {
    const payload = data.toString('latin1');
    const match = c.pending.delete(payload);
    logEvent({ event: 'pong', n, payload, match });
  });
  ws.on('error', (e) => logErr(`connection ${n}: ${e.message}`));
  ws.on('close', (code, reason) => {
    c.stopped = true;
    c.timers.forEach((t) => clearTimeout(t));
    clearTimeout(c.pumpTimer);
    conns.delete(c);
    logEvent({ event: 'close', n, code, reason: reason.toString('utf8'), sent: c.sent });
  });

  if (opt.pingMs > 0) {
    c.timers.push(setInterval(() => sendPing(c), opt.pingMs));
    c.timers.push(setInterval(() => checkPongs(c), Math.min(50, opt.pingMs, opt.pongTimeoutMs)));
  }
  if (opt.streamOnConnect) {
    c.streaming = true;
    startStream(c);
  }
}

function sendPing(c) {
  if (c.stopped || c.pingsStopped || c.ws.readyState !== c.ws.OPEN) return;
  const payload = `ping-${c.n}-${++c.pingSeq}`;
  c.pending.set(payload, Date.now());
  c.ws.ping(payload);
  logEvent({ event: 'ping', n: c.n, payload });
}

function checkPongs(c) {
  if (c.stopped || c.pingsStopped) return;
  const now = Date.now();
  for (const [payload, at] of c.pending) {
    if (now - at >= opt.pongTimeoutMs) {
      logEvent({ event: 'pong_timeout', n: c.n, payload });
      stopConn(c);
      c.ws.close(1008, 'pong timeout');
      // A client that is not reading will not answer the close frame either.
      setTimeout(() => c.ws.terminate(), 1000);
      return;
    }
  }
}

function stopConn(c) {
  c.stopped = true;
  c.pingsStopped = true;
}

// ---- the stream ----------------------------------------------------------------------------------
const STREAM_FAULTS = new Set(['drop', 'reset', 'close1000', 'close1001', 'close1006', 'stall', 'garbage',
                               'oversized', 'server_shutdown']);

function startStream(c) {
  if (c.stopped) return;
  c.faultAt = -1;
  if (c.faulty && STREAM_FAULTS.has(opt.fault)) {
    c.faultAt = Math.min(opt.faultAfter, totalData);
    if (c.faultAt < opt.faultAfter)
      logErr(`connection ${c.n}: only ${totalData} data messages: the fault comes after the last one`);
  }
  c.startedAt = Date.now();
  if (c.faultAt === 0) return fireFault(c);  // before any data (after the ack, already written out)
  pump(c);
  return undefined;
}

const HIGH_WATER = 1 << 20;

// One pending pump timer per connection (not a growing list: --repeat 0 can run for minutes).
function schedulePump(c, ms) {
  clearTimeout(c.pumpTimer);
  c.pumpTimer = setTimeout(() => pump(c), ms);
}

function pump(c) {
  if (c.stopped) return;
  const ws = c.ws;
  let batch = 0;
  for (;;) {
    if (c.stopped || ws.readyState !== ws.OPEN) return;
    if (c.sent >= totalData) return;  // done: idle, connection stays open
    if (c.faultAt >= 0 && c.sent >= c.faultAt) return;  // the fault takes over (from the send callback)
    if (opt.pauseAfter > 0 && c.sent === opt.pauseAfter && !c.paused) {
      // The venue goes quiet for a while on an open connection (its pings go on), then resumes.
      c.paused = true;
      c.startedAt += opt.pauseMs;  // --rate pacing resumes where it stopped
      logEvent({ event: 'pause', n: c.n, ms: opt.pauseMs });
      schedulePump(c, opt.pauseMs);
      return;
    }
    if (opt.rate > 0) {
      const due = c.startedAt + (c.sent * 1000) / opt.rate;
      const wait = due - Date.now();
      if (wait > 0) {
        schedulePump(c, Math.ceil(wait));
        return;
      }
    }
    if (ws.bufferedAmount > HIGH_WATER) {
      schedulePump(c, 2);
      return;
    }
    if (++batch > 256) {  // let the event loop read pongs and close frames between batches
      schedulePump(c, 0);
      return;
    }
    const index = c.sent % messages.length;
    const msg = messages[index];
    ++c.sent;
    if (messageSymbols !== null && messageSymbols[index] !== null && !c.symbols.has(messageSymbols[index])) {
      if (c.faultAt >= 0 && c.sent === c.faultAt) return fireFault(c);  // faults count skipped messages too
      continue;
    }
    if (c.faultAt >= 0 && c.sent === c.faultAt) {
      // The fault comes once this message is written out (the callback), so the client has all K.
      ws.send(msg, { binary: false }, () => fireFault(c));
      return;
    }
    ws.send(msg, { binary: false });
  }
}

function fireFault(c) {
  if (c.stopped || c.fired) return;
  c.fired = true;
  c.faultAt = -1;  // oversized and server_shutdown go on with the stream
  const ws = c.ws;
  logEvent({ event: 'fault', n: c.n, fault: opt.fault, after: c.sent });
  switch (opt.fault) {
    case 'drop':  // abrupt TCP close (FIN), no close frame (over TLS: no close_notify either)
      stopConn(c);
      c.socket.destroy();
      break;
    case 'reset':  // TCP RST (SO_LINGER 0); over TLS the raw TCP socket under the TLS one is reset
      stopConn(c);
      resetSocket(c.socket);
      break;
    case 'close1000':
      stopConn(c);
      ws.close(1000, 'normal closure');
      break;
    case 'close1001':
      stopConn(c);
      ws.close(1001, 'going away');
      break;
    case 'close1006':  // ws.terminate(): the socket is destroyed, no close frame (the client sees 1006)
      stopConn(c);
      ws.terminate();
      break;
    case 'stall':  // nothing more on this connection: no data, no pings; still reads and records
      stopConn(c);
      break;
    case 'garbage':  // bytes that are not a WebSocket frame (reserved bits and opcode 0xF set)
      stopConn(c);
      c.socket.write(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x00]),
                                    Buffer.from('\r\nthis is not a websocket frame\r\n', 'latin1')]));
      break;
    case 'oversized': {  // one text message of --oversized-bytes bytes, then the stream goes on
      ws.send(oversizedMessage(opt.oversizedBytes), { binary: false }, () => pump(c));
      break;
    }
    case 'server_shutdown': {  // Binance's announcement; data goes on until the close
      ws.send(`{"e":"serverShutdown","E":${Date.now()}}`, { binary: false });
      c.timers.push(setTimeout(() => {
        if (c.stopped) return;
        logEvent({ event: 'shutdown_close', n: c.n, after: c.sent });
        stopConn(c);
        ws.close(1001, 'server shutdown');
      }, opt.shutdownGraceMs));
      pump(c);
      break;
    }
    default:
      break;
  }
}

// net.Socket#resetAndDestroy() (Node >= 16.17) needs a TCP handle: a TLSSocket has a TLSWrap, and on
// the server side its raw TCP socket is `_parent` (checked on Node 20).
function resetSocket(sock) {
  const raw = sock._parent && typeof sock._parent.resetAndDestroy === 'function' ? sock._parent : sock;
  try {
    raw.resetAndDestroy();
    if (raw !== sock) sock.destroy();
  } catch (e) {
    logErr(`reset: ${e.message}; destroying the socket instead`);
    sock.destroy();
  }
}

function oversizedMessage(bytes) {
  const head = '{"stream":"oversized","data":"';
  const tail = '"}';
  if (bytes < head.length + tail.length) return Buffer.alloc(bytes, 'x');
  const b = Buffer.alloc(bytes, 'x');
  b.write(head, 0, 'latin1');
  b.write(tail, bytes - tail.length, 'latin1');
  return b;
}

// ---- lifetime ------------------------------------------------------------------------------------
function shutdown(why) {
  if (stopping) {
    process.exit(0);
  }
  stopping = true;
  logErr(`stopping: ${why}`);
  server.close();
  for (const c of conns) {
    stopConn(c);
    try {
      c.ws.close(1001, 'server stopping');
    } catch (e) { /* already closing */ }
  }
  const done = () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  };
  if (conns.size === 0) return done();
  const deadline = setTimeout(done, 300);
  const poll = setInterval(() => {
    if (conns.size === 0) {
      clearTimeout(deadline);
      clearInterval(poll);
      done();
    }
  }, 10);
  return undefined;
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.stdout.on('error', () => {});  // the launcher may close its end after reading the port
if (opt.maxSeconds > 0) setTimeout(() => shutdown(`--max-seconds ${opt.maxSeconds} reached`), opt.maxSeconds * 1000);

server.on('error', (e) => {
  logErr(`listen: ${e.message}`);
  process.exit(1);
});
server.listen(opt.port, HOST, () => {
  const { port } = server.address();
  logErr(`listening on ${opt.tls ? 'wss' : 'ws'}://${HOST}:${port} (${messages.length} messages, venue ${opt.venue}` +
         `${opt.fault ? `, fault ${opt.fault}` : ''}` +
         `${restDepth !== null ? `, REST depth ${restDepth.length} bytes, REST fault ${opt.restFault}` : ''})`);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
