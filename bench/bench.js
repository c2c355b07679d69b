// The benchmark page's harness. `cargo xtask bench` drives it through WebDriver: it calls
// `window.duplexBench.run(spec)` once per client and round, and does the statistics itself.
//
// The "js" client below is the browser's WebSocket used straight from JavaScript: the limit the
// Rust clients (page/, built to pkg/page.js) are measured against. "js_again" runs the very same
// code as a second client, the A/A control: how far two identical clients differ on this machine. Every client has the same
// semantics: connecting and closing are not timed; payloads are made before the clock starts;
// every echo is checked for its kind and length.

import init, * as wasm from "./pkg/page.js";

const now = () => performance.now();

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

function payload(binary, size) {
  return binary ? new Uint8Array(size).fill(0x78) : "x".repeat(size);
}

function lengthOf(data, binary) {
  if (binary) {
    return data instanceof ArrayBuffer ? data.byteLength : -1;
  }
  return typeof data === "string" ? data.length : -1;
}

function open(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => resolve(socket);
    socket.onclose = (event) => reject(new Error(`${url} closed before opening (${event.code})`));
  });
}

function closed(socket) {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) {
      resolve();
      return;
    }
    socket.onclose = () => resolve();
    socket.close(1000);
  });
}

// Resolves with the time of the `count`-th checked echo; `each` runs after every echo.
function echoes(socket, { binary, size, count }, each = () => {}) {
  return new Promise((resolve, reject) => {
    let received = 0;
    socket.onmessage = (event) => {
      const length = lengthOf(event.data, binary);
      if (length !== size) {
        reject(new Error(`echo ${received}: expected ${size} ${binary ? "bytes" : "chars"}, got ${length}`));
        return;
      }
      received += 1;
      if (received === count) {
        resolve(now());
      }
      each(received);
    };
    socket.onclose = (event) => reject(new Error(`closed (${event.code}) after ${received} echoes`));
  });
}

const js = {
  async pipelined(url, spec) {
    const socket = await open(url);
    const data = payload(spec.binary, spec.size);
    const done = echoes(socket, spec);
    const start = now();
    for (let i = 0; i < spec.count; i += 1) {
      socket.send(data);
    }
    const end = await done;
    await closed(socket);
    return { elapsed_ms: end - start };
  },

  async ping_pong(url, spec) {
    const socket = await open(url);
    const data = payload(spec.binary, spec.size);
    const rtts = [];
    let sent = now();
    const done = echoes(socket, spec, (received) => {
      rtts.push(now() - sent);
      if (received < spec.count) {
        sent = now();
        socket.send(data);
      }
    });
    sent = now();
    socket.send(data);
    await done;
    await closed(socket);
    return { rtts_ms: rtts };
  },

  async flood(url, spec) {
    const start = now();
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    const end = await echoes(socket, spec);
    await closed(socket);
    return { elapsed_ms: end - start };
  },
};

const rust = {
  async pipelined(client, url, spec) {
    const elapsed = await wasm.pipelined(client, url, spec.binary, spec.size, spec.count);
    return { elapsed_ms: elapsed };
  },

  async ping_pong(client, url, spec) {
    const rtts = await wasm.ping_pong(client, url, spec.binary, spec.size, spec.count);
    return { rtts_ms: Array.from(rtts) };
  },

  async flood(client, url, spec) {
    return { elapsed_ms: await wasm.flood(client, url, spec.count) };
  },
};

function urlFor(spec) {
  if (spec.scenario === "flood") {
    return socketUrl(`/test/flood?count=${spec.count}&size=${spec.size}&binary=${spec.binary}&close=true`);
  }
  return socketUrl("/echo");
}

// The smallest step `performance.now()` takes here: browsers coarsen it unless the page is
// cross-origin isolated, which the relay makes it (COOP and COEP headers).
function timerStep() {
  let step = Infinity;
  let last = now();
  for (let i = 0; i < 200000 && step > 0.001; i += 1) {
    const t = now();
    if (t > last) {
      step = Math.min(step, t - last);
      last = t;
    }
  }
  return step;
}

async function relayConnections() {
  const response = await fetch("/test/connections?wait_for=0&timeout_ms=5000");
  if (!response.ok) {
    throw new Error(`/test/connections answered ${response.status}`);
  }
  return (await response.json()).live;
}

const shown = document.getElementById("now");
const ready = init().then(() => {
  shown.textContent = "ready";
});

window.duplexBench = {
  ready,

  async info() {
    await ready;
    return {
      user_agent: navigator.userAgent,
      cross_origin_isolated: window.crossOriginIsolated === true,
      timer_step_ms: timerStep(),
    };
  },

  // spec: { scenario: "pipelined" | "ping_pong" | "flood", client: "js" | "js_again" | "web_sys"
  // | "callback" | "stream" | "gloo", binary, size, count }
  async run(spec) {
    await ready;
    shown.textContent = `${spec.scenario} ${spec.binary ? "binary" : "text"} ${spec.size} B × ${spec.count}: ${spec.client}`;
    const url = urlFor(spec);
    if (spec.client === "js" || spec.client === "js_again") {
      return js[spec.scenario](url, spec);
    }
    return rust[spec.scenario](spec.client, url, spec);
  },

  // spec: { scenario: "churn_sockets", total, batch } or { scenario: "churn_reconnect", cycles }
  async churn(spec) {
    await ready;
    shown.textContent = `${spec.scenario}`;
    if (spec.scenario === "churn_sockets") {
      return { elapsed_ms: await wasm.churn_sockets(socketUrl("/echo"), spec.total, spec.batch) };
    }
    const url = socketUrl("/test/close?code=1012&reason=restart");
    return { elapsed_ms: await wasm.churn_reconnect(url, spec.cycles) };
  },

  // Microseconds per received message for each client's handler, with synthetic events holding a
  // real echo (see page/copies.rs); then the copy a text send makes.
  async perMessage(spec) {
    await ready;
    shown.textContent = `per message ${spec.binary ? "binary" : "text"} ${spec.size} B × ${spec.count}`;
    return Array.from(await wasm.per_message(socketUrl("/echo"), spec.binary, spec.size, spec.count));
  },

  async counters() {
    await ready;
    return {
      closures: wasm.live_closures(),
      timers: wasm.live_timers(),
      wasm_memory_bytes: wasm.wasm_memory_bytes(),
      relay_connections: await relayConnections(),
    };
  },
};
