/* plan-live.js — following the plan live over /api/ws/{id}: a redraw whenever it changes, the
 * build's progress and errors, reconnecting with backoff (at once when the page comes back). */

import { root, pid, state } from "./plan-common.js";
import { refresh, setBuildError, setBuilding, setConnection } from "./plan-api.js";
import { heardConflict, loadRealConflicts } from "./plan-real.js";

export function connect() {
  if (state.needsToken) return;
  const url = new URL(`api/ws/${pid()}`, root);
  url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  let socket;
  try {
    socket = new WebSocket(url.toString());
  } catch (error) {
    scheduleReconnect();
    return;
  }
  state.socket = socket;
  setConnection("connecting");
  socket.addEventListener("open", () => {
    state.retries = 0;
    setConnection("live");
    refresh(); // catch up on anything that happened while we were not listening
    loadRealConflicts();
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (_) {
      return;
    }
    if (!message || String(message.project_id || "").toLowerCase() !== state.projectId.toLowerCase()) return;
    switch (message.type) {
      case "execution_plan_building":
        setBuilding(true);
        break;
      case "execution_plan_ready":
      case "execution_plan_updated":
        setBuilding(false);
        setBuildError(null);
        refresh();
        break;
      case "execution_plan_error":
        setBuilding(false);
        setBuildError(`Plan build failed: ${message.error || "unknown error"}`);
        break;
      case "worktree_conflict":
        heardConflict(message);
        break;
      default:
        break;
    }
  });
  socket.addEventListener("close", (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (event.code === 1008 || event.code === 4401 || event.code === 4403) {
      refresh(); // shows the token form if the API says 401
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  if (state.needsToken || state.reconnectTimer) return;
  const base = Math.min(15000, 500 * 2 ** state.retries);
  const delay = Math.round(base * (0.75 + Math.random() * 0.5));
  state.retries += 1;
  setConnection("reconnecting", `reconnecting in ${Math.ceil(delay / 1000)} s`);
  state.reconnectTimer = window.setTimeout(() => {
    state.reconnectTimer = null;
    connect();
  }, delay);
}

function reconnectNow() {
  if (state.socket || state.needsToken) return;
  if (state.reconnectTimer) {
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
  }
  state.retries = 0;
  connect();
}

window.addEventListener("online", reconnectNow);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") reconnectNow();
});
