/* plan-common.js — what every part of the plan page shares: its state, the API's address, and
 * small helpers (making elements, durations, lanes, which conflicts keep tasks apart). */

// The app's root, whatever prefix it is served under: the page lives at <root>projects/{id}/plan.
export const root = new URL("../../", window.location.href);
export const apiUrl = (path) => new URL("api/" + path, root).toString();
export const $ = (id) => document.getElementById(id);

export const state = {
  // the project as the URL names it: its id, or its name (resolved through the API at the start)
  projectId: document.body.dataset.projectId,
  plan: null,
  etag: null,
  tasks: new Map(), // task id -> task row from /api/projects/{id}/tasks
  epics: new Map(), // epic id -> epic row from /api/projects/{id}/epics (names for the lanes)
  placement: new Map(), // task id -> "batch|worktree" as last drawn, to mark cards that moved
  projectName: null,
  buildError: null,
  loadError: null,
  needsToken: false,
  socket: null,
  retries: 0,
  reconnectTimer: null,
  focus: null, // the task in focus (clicked): its conflicts listed, its dependencies drawn
  conflictFilter: "apart",
  conflictLimit: 100, // conflicts listed before "show all"
  real: new Map(), // worktree pairs a check found really conflicting (plan-real.js), until dismissed
  dismissed: new Map(), // pair key -> its files when dismissed (plan-real.js)
};

// The project's id as it goes into a URL.
export const pid = () => encodeURIComponent(state.projectId);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("data-") || name.startsWith("aria-") || name === "role" || name === "title" || name === "tabindex") {
      node.setAttribute(name, String(value));
    } else node[name] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function duration(seconds) {
  const minutes = Math.round((Number(seconds) || 0) / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

export function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso || "") : date.toLocaleString();
}

export const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + "s"}`;
export const CONFLICT_LABEL = {
  same_file: "same file",
  same_directory: "same directory",
  potential: "potential",
  declared: "declared by the task list",
};

// The lane of a worktree: its name without the batch, so one epic's worktrees line up in a row.
export function laneOf(worktree) {
  const match = /^worktree-batch\d+-(.+)$/.exec(worktree || "");
  return match ? match[1] : worktree || "unassigned";
}

export function epicName(id) {
  const epic = state.epics.get(Number(id));
  return epic && epic.name ? epic.name : null;
}

// A lane's heading: the epic's name when the API gave it, and its id.
export function laneHead(lane) {
  const epicMatch = /^epic(\d+)$/.exec(lane);
  const taskMatch = /^task(\d+)$/.exec(lane);
  if (taskMatch) {
    const task = state.tasks.get(Number(taskMatch[1])) || {};
    return [
      el("span", { class: "lane-name", text: task.key ? `task ${task.key}` : lane }),
      el("span", { class: "lane-id", text: "no epic" }),
    ];
  }
  if (!epicMatch) return [el("span", { class: "lane-name", text: lane })];
  const epic = state.epics.get(Number(epicMatch[1])) || {};
  return [
    el("span", { class: "lane-name", text: epic.name || (Number(epicMatch[1]) === 0 ? "no epic" : `epic ${epicMatch[1]}`) }),
    epic.key ? el("span", { class: "lane-id", text: epic.key }) : "",
  ];
}

// Whether a conflict keeps its tasks apart under the plan's own settings (its metadata).
export function keepsApart(conflict, meta) {
  const splitOn = Array.isArray(meta.split_on) ? meta.split_on : ["same_file"];
  const least = Number(meta.min_conflict_strength) || 0;
  if (conflict.merge_friendly && !meta.split_merge_friendly) return false;
  return splitOn.includes(conflict.conflict_type) && Number(conflict.strength ?? 1) >= least;
}

export function shownConflict(conflict, meta) {
  if (state.conflictFilter === "all") return true;
  if (state.conflictFilter === "strong") return Number(conflict.strength ?? 1) >= 0.5;
  return keepsApart(conflict, meta);
}

export function laneOrder(a, b) {
  const na = /^epic(\d+)$/.exec(a);
  const nb = /^epic(\d+)$/.exec(b);
  if (na && nb) return Number(na[1]) - Number(nb[1]);
  if (na || nb) return na ? -1 : 1;
  return a.localeCompare(b);
}

export function cardOf(id) {
  return document.querySelector(`.card[data-task-id="${Number(id)}"]`);
}
