/* plan-focus.js — the task in focus (clicked): its conflicts listed, its dependencies drawn as
 * arrows, and the form that moves it to another batch or worktree. */

import { $, cardOf, el, shownConflict, state } from "./plan-common.js";
import { drawConflicts } from "./plan-board.js";

function dependenciesOf(id) {
  return ((state.tasks.get(id) || {}).depends_on || []).map((d) => Number(d.task_id ?? d));
}

export function setFocus(id) {
  state.focus = state.focus === id ? null : id;
  state.conflictLimit = 100;
  drawConflicts();
  drawFocus();
}

export function drawFocus() {
  for (const node of document.querySelectorAll(".card.focused, .card.partner, .card.dependency")) {
    node.classList.remove("focused", "partner", "dependency");
  }
  const panel = $("focus");
  const svg = $("arrows");
  svg.replaceChildren();
  const id = state.focus;
  if (id === null || !state.plan || !state.render) {
    panel.hidden = true;
    return;
  }
  const { batchOf, assignments, keyOf, conflicts } = state.render;
  const node = cardOf(id);
  if (node) node.classList.add("focused");
  for (const conflict of conflicts) {
    const ids = conflict.task_ids.map(Number);
    if (!ids.includes(id) || !shownConflict(conflict, state.render.meta)) continue;
    const other = cardOf(ids.find((t) => t !== id));
    if (other) other.classList.add("partner");
  }
  const deps = dependenciesOf(id).filter((d) => batchOf.has(d));
  const area = $("board-scroll").getBoundingClientRect();
  const scroll = $("board-scroll");
  svg.setAttribute("width", String(scroll.scrollWidth));
  svg.setAttribute("height", String(scroll.scrollHeight));
  const ns = svg.namespaceURI; // the SVG namespace, as the page declared it
  const defs = document.createElementNS(ns, "defs");
  const marker = document.createElementNS(ns, "marker");
  for (const [k, v] of Object.entries({ id: "arrow-head", markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: "auto" })) {
    marker.setAttribute(k, String(v));
  }
  const head = document.createElementNS(ns, "path");
  head.setAttribute("d", "M0,0 L8,4 L0,8 z");
  marker.append(head);
  defs.append(marker);
  svg.append(defs);
  for (const dep of deps) {
    const from = cardOf(dep);
    if (!from || !node) continue;
    from.classList.add("dependency");
    const a = from.getBoundingClientRect();
    const b = node.getBoundingClientRect();
    const x1 = a.right - area.left + scroll.scrollLeft;
    const y1 = a.top + a.height / 2 - area.top + scroll.scrollTop;
    const x2 = b.left - area.left + scroll.scrollLeft;
    const y2 = b.top + b.height / 2 - area.top + scroll.scrollTop;
    const line = document.createElementNS(ns, "path");
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    line.setAttribute("d", `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`);
    line.setAttribute("class", "arrow");
    line.setAttribute("data-from", String(dep));
    line.setAttribute("marker-end", "url(#arrow-head)");
    svg.append(line);
  }
  // the panel: what the task is, and moving it
  const row = state.tasks.get(id) || {};
  const batchId = batchOf.get(id);
  // a choice already made in this task's form survives a redraw
  const same = panel.dataset.taskId === String(id) && !panel.hidden;
  const chosen = same ? Number($("move-batch")?.value) : NaN;
  const batches = state.plan.batches || [];
  const target = batches.some((b) => b.batch_id === chosen) ? chosen : batchId;
  const chosenWorktree = same ? $("move-worktree")?.value : assignments[String(id)];
  const batchSelect = el(
    "select",
    { id: "move-batch", "aria-label": "batch" },
    batches.map((b) => el("option", { value: b.batch_id, selected: b.batch_id === target, text: `batch ${b.batch_id}` })),
  );
  const worktreeSelect = el(
    "select",
    { id: "move-worktree", "aria-label": "worktree" },
    worktreeOptions(id, target, chosenWorktree),
  );
  const waiting = deps.map((d) => keyOf(d));
  panel.replaceChildren(
    el("h2", { text: `${keyOf(id)} ` }, el("span", { class: "muted small", text: `batch ${batchId} · ${assignments[String(id)] || ""}` })),
    row.description ? el("p", { class: "focus-description", text: row.description }) : "",
    el("p", { class: "muted small", text: waiting.length ? `after ${waiting.join(", ")} (arrows)` : "depends on no unfinished task" }),
    el(
      "form",
      { id: "move-form", class: "move" },
      el("span", { text: "Move to" }),
      batchSelect,
      worktreeSelect,
      el("button", { type: "submit", text: "Move" }),
      el("button", { type: "button", id: "focus-close", text: "Close" }),
    ),
  );
  panel.dataset.taskId = String(id);
  panel.hidden = false;
}

// The worktrees task `id` may be moved to in batch `batchId`: those of the batch; in another
// batch than its own, first "its lane's" (the worktree the plan gives it there, value "").
export function worktreeOptions(id, batchId, selected) {
  const own = state.render.batchOf.get(id) === batchId;
  const names = worktreesOf(batchId);
  const options = names.map((w) => el("option", { value: w, selected: w === selected, text: w }));
  if (own) return options;
  const lane = el("option", { value: "", selected: !names.includes(selected), text: "its lane's worktree" });
  return [lane, ...options];
}

// The worktrees a batch's tasks are assigned to, as the plan names them.
function worktreesOf(batchId) {
  const batch = (state.plan.batches || []).find((b) => b.batch_id === batchId);
  const assignments = state.plan.worktree_assignments || {};
  return [...new Set((batch ? batch.task_ids : []).map((t) => assignments[String(t)]).filter(Boolean))].sort();
}
