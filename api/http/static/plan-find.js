/* plan-find.js — finding things on the board: the search box (key, description, files), a
 * predicted file's evidence on hover, and the cards of a conflict or a reason lit on hover. */

import { $, el, plural, state } from "./plan-common.js";

export function applySearch() {
  const query = $("search").value.trim().toLowerCase();
  const board = $("board");
  board.classList.toggle("searching", query.length > 0);
  let found = 0;
  let first = null;
  for (const node of board.querySelectorAll(".card")) {
    const id = Number(node.dataset.taskId);
    const row = state.tasks.get(id) || {};
    const files = [...node.querySelectorAll(".file")].map((f) => f.dataset.path);
    const text = [node.dataset.taskKey, row.description || "", ...files].join(" ").toLowerCase();
    const hit = query.length > 0 && text.includes(query);
    node.classList.toggle("match", hit);
    if (hit) {
      found += 1;
      first = first || node;
    }
  }
  $("search-count").textContent = query ? plural(found, "match", "matches") : "";
  return first;
}

$("search").addEventListener("input", () => {
  const first = applySearch();
  if (first) first.scrollIntoView({ block: "nearest", inline: "center" });
});

// ---------------------------------------------------------------- hover: evidence, conflicts

const tooltip = $("tooltip");

function showTip(target) {
  const evidence = target.evidence || [];
  tooltip.replaceChildren(
    el("div", { class: "tip-path", text: target.dataset.path }),
    el("div", { class: "tip-confidence", text: `confidence ${Math.round((target.confidence || 0) * 100)}%` }),
    evidence.length
      ? el("ul", { class: "tip-evidence" }, evidence.map((line) => el("li", { text: line })))
      : el("div", { class: "muted", text: "no evidence recorded" }),
  );
  tooltip.hidden = false;
  target.setAttribute("aria-describedby", "tooltip");
  const box = target.getBoundingClientRect();
  const tip = tooltip.getBoundingClientRect();
  const left = Math.max(8, Math.min(box.left, window.innerWidth - tip.width - 8));
  let top = box.bottom + 6;
  if (top + tip.height > window.innerHeight - 8) top = Math.max(8, box.top - tip.height - 6);
  tooltip.style.left = `${left}px`;
  tooltip.style.top = `${top}px`;
}

function hideTip(target) {
  tooltip.hidden = true;
  if (target) target.removeAttribute("aria-describedby");
}

function highlightTasks(ids, on) {
  for (const id of ids || []) {
    const node = document.querySelector(`.card[data-task-id="${Number(id)}"]`);
    if (node) node.classList.toggle("highlight", on);
  }
}

function highlightConflict(index, on) {
  const conflict = state.plan && (state.plan.predicted_conflicts || [])[index];
  if (conflict) highlightTasks(conflict.task_ids, on);
}

function highlightReason(index, on) {
  const reason = state.plan && ((state.plan.metadata || {}).why || [])[index];
  if (reason) highlightTasks(reason.task_ids, on);
}

function onOver(event, on) {
  const file = event.target.closest && event.target.closest(".file");
  // moving between a file's own parts is not leaving it
  const related = event.relatedTarget;
  if (file && related instanceof Node && file.contains(related) && file.contains(event.target)) return;
  if (file) {
    if (on) showTip(file);
    else hideTip(file);
    return;
  }
  const conflict = event.target.closest && event.target.closest("[data-conflict-index]");
  if (conflict) highlightConflict(Number(conflict.dataset.conflictIndex), on);
  const reason = event.target.closest && event.target.closest("[data-reason-index]");
  if (reason) highlightReason(Number(reason.dataset.reasonIndex), on);
}

document.addEventListener("pointerover", (event) => onOver(event, true));
document.addEventListener("pointerout", (event) => onOver(event, false));
document.addEventListener("focusin", (event) => onOver(event, true));
document.addEventListener("focusout", (event) => onOver(event, false));
window.addEventListener("scroll", () => hideTip(null), true);
