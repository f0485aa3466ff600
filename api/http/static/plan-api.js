/* plan-api.js — the plan page's talk with the REST API: reading the plan, the tasks and the
 * epics (refreshes never overlap), adjusting the plan (PATCH with If-Match), and the states
 * around the board (the token form, no plan, errors, building, the connection). */

import { $, apiUrl, el, root, state, pid } from "./plan-common.js";
import { render } from "./plan-board.js";

export class AuthError extends Error {}
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function detailOf(response) {
  try {
    const body = await response.json();
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (detail !== undefined) return JSON.stringify(detail);
  } catch (_) {
    /* not JSON: fall through */
  }
  return `${response.status} ${response.statusText}`.trim();
}

export async function getJSON(path) {
  const response = await fetch(apiUrl(path), {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (response.status === 401) throw new AuthError(await detailOf(response));
  if (!response.ok) throw new ApiError(response.status, await detailOf(response));
  return { body: await response.json(), etag: response.headers.get("ETag") };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A page reached by the project's name finds its id (the name list needs the token, as all
// project data does), then shows the id's URL; false when there is no such project.
export async function resolveProject() {
  if (UUID.test(state.projectId)) return true;
  const { body } = await getJSON("projects");
  const rows = Array.isArray(body) ? body : body.projects || [];
  const project = rows.find((p) => p.name === state.projectId);
  if (!project) {
    showEmpty(`There is no project named ${JSON.stringify(state.projectId)}.`);
    return false;
  }
  state.projectId = String(project.id);
  document.body.dataset.projectId = state.projectId;
  window.history.replaceState(null, "", new URL(`projects/${pid()}/plan`, root).toString());
  return true;
}

// Refreshes never overlap: one asked for while another runs makes it go round once more.
let running = null;
let again = false;
export function refresh() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await loadOnce();
    } while (again);
  })().finally(() => {
    running = null;
  });
  return running;
}

export async function loadOnce() {
  const [plan, tasks, epics] = await Promise.allSettled([
    getJSON(`projects/${pid()}/execution-plan`),
    getJSON(`projects/${pid()}/tasks`),
    getJSON(`projects/${pid()}/epics`),
  ]);
  const denied = [plan, tasks, epics].find((r) => r.status === "rejected" && r.reason instanceof AuthError);
  if (denied) {
    showTokenForm(denied.reason.message);
    return;
  }
  const rowsOf = (result, key) => {
    if (result.status !== "fulfilled") return null;
    const body = result.value.body;
    return Array.isArray(body) ? body : (body && body[key]) || [];
  };
  const taskRows = rowsOf(tasks, "tasks");
  if (taskRows) state.tasks = new Map(taskRows.map((t) => [Number(t.id), t]));
  const epicRows = rowsOf(epics, "epics");
  if (epicRows) state.epics = new Map(epicRows.map((e) => [Number(e.id), e]));
  if (plan.status === "rejected") {
    const error = plan.reason;
    if (error instanceof ApiError && error.status === 404) showEmpty(error.message);
    else setLoadError(`Could not load the plan: ${error.message}`);
    return;
  }
  const { body, etag } = plan.value;
  setLoadError(null);
  // A plan no newer than the one drawn (our own PATCH, heard again over the WebSocket; or an
  // answer overtaken by a newer one) is not drawn again: redrawing would reset a form in use.
  if (state.plan && Number(body.version) <= Number(state.plan.version)) return;
  state.etag = etag;
  render(body);
  if (!state.projectName) loadProjectName();
}

async function loadProjectName() {
  try {
    const { body } = await getJSON("projects");
    const rows = Array.isArray(body) ? body : body.projects || [];
    const project = rows.find((p) => String(p.id).toLowerCase() === state.projectId.toLowerCase());
    if (project && project.name) {
      state.projectName = project.name;
      $("project-name").textContent = project.name;
      document.title = `${project.name} · execution plan`;
    }
  } catch (_) {
    /* the name is a nicety: the id is on the page either way */
  }
}

// ---------------------------------------------------------------- states around the board

export function showTokenForm(message) {
  state.needsToken = true;
  $("auth").hidden = false;
  $("auth-message").textContent = message || "";
  $("summary").textContent = "Sign-in needed.";
  setConnection("closed", "no token");
  $("token-input").focus();
}

export function showEmpty(message) {
  state.plan = null;
  state.etag = null;
  $("board-scroll").hidden = true;
  $("conflicts").hidden = true;
  $("overrides-banner").hidden = true;
  $("why").hidden = true;
  const box = $("empty");
  box.replaceChildren(
    el("h2", { text: "No plan to show" }),
    el("p", { class: "detail", text: message }),
    el("p", {
      class: "muted",
      text: "It appears here as soon as one is built (when Session 0 completes, or after POST …/execution-plan/build).",
    }),
  );
  box.hidden = false;
  $("summary").textContent = `Project ${state.projectId}`;
  document.body.dataset.planVersion = "";
}

// Two kinds of trouble share the red banner: the last build failed, the last load failed.
function showErrors() {
  const messages = [state.buildError, state.loadError].filter(Boolean);
  const banner = $("error-banner");
  banner.textContent = messages.join(" · ");
  banner.hidden = messages.length === 0;
}

export function setBuildError(message) {
  state.buildError = message;
  showErrors();
}

export function setLoadError(message) {
  state.loadError = message;
  showErrors();
}

export function setBuilding(on) {
  const badge = $("build-status");
  badge.hidden = !on;
  badge.textContent = on ? "building…" : "";
  document.body.classList.toggle("is-building", on);
}

export function setConnection(kind, text) {
  const badge = $("connection");
  badge.dataset.state = kind;
  badge.textContent = text || kind;
}

// ---------------------------------------------------------------- adjusting: PATCH with If-Match

export async function patchPlan(body) {
  const response = await fetch(apiUrl(`projects/${pid()}/execution-plan`), {
    method: "PATCH",
    headers: { "Content-Type": "application/json", Accept: "application/json", "If-Match": state.etag || "" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  if (response.status === 412) {
    notice("The plan changed meanwhile (someone else adjusted or rebuilt it): here is the new one; try again.");
    await refresh();
    return false;
  }
  if (response.status === 401) {
    showTokenForm(await detailOf(response));
    return false;
  }
  if (!response.ok) {
    notice(`Not changed: ${await detailOf(response)}`);
    return false;
  }
  notice(null);
  state.etag = response.headers.get("ETag");
  render(await response.json());
  return true;
}

export function notice(message) {
  const banner = $("notice-banner");
  banner.textContent = message || "";
  banner.hidden = !message;
}
