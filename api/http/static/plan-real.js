/* plan-real.js — worktrees that really conflict: a check of the worktrees on disk (`execplan
 * check`, the service's worktree watch) sends each pair whose changes do not merge as a
 * `worktree_conflict` event; the page lists them above the board, each until dismissed, and
 * outlines both worktrees on the board while the plan has them. */

import { $, el, state } from "./plan-common.js";

const MAX_FILES_SHOWN = 5;

// A pair's key: its batch and its two worktrees, in order.
const keyOf = (message) => `${message.batch}|${[...message.worktrees].sort().join("|")}`;

// Keep (or replace) a pair that a check found, then draw.
export function heardConflict(message) {
  if (!Array.isArray(message.worktrees) || message.worktrees.length !== 2) return;
  state.real.set(keyOf(message), {
    batch: message.batch,
    worktrees: [...message.worktrees].sort(),
    files: Array.isArray(message.files) ? message.files : [],
    omitted: Number(message.files_omitted) || 0,
  });
  drawRealConflicts();
}

// The list above the board, and the outline of every worktree of a listed pair that is drawn.
export function drawRealConflicts() {
  for (const node of document.querySelectorAll(".worktree.real-conflict")) {
    node.classList.remove("real-conflict");
    node.removeAttribute("title");
  }
  const items = [];
  for (const [key, pair] of state.real) {
    const shown = pair.files.slice(0, MAX_FILES_SHOWN);
    const more = pair.files.length - shown.length + pair.omitted;
    items.push(
      el(
        "li",
        { class: "real-conflict-item", "data-key": key },
        `batch ${pair.batch}: ${pair.worktrees[0]} ↔ ${pair.worktrees[1]} in `,
        el("span", { class: "files", text: shown.join(", ") || "their files" }),
        more > 0 ? ` and ${more} more` : "",
        el("button", { type: "button", class: "dismiss", "data-key": key, title: "dismiss", text: "✕" }),
      ),
    );
    for (const name of pair.worktrees) {
      const node = document.querySelector(`.worktree[data-worktree="${CSS.escape(name)}"]`);
      if (!node) continue;
      const other = pair.worktrees.find((w) => w !== name);
      node.classList.add("real-conflict");
      node.setAttribute("title", `really conflicts with ${other} in ${shown.join(", ")}`);
    }
  }
  $("real-list").replaceChildren(...items);
  $("real-conflicts").hidden = items.length === 0;
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest("#real-list .dismiss");
  if (!button) return;
  state.real.delete(button.dataset.key);
  drawRealConflicts();
});
