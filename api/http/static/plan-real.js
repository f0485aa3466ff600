/* plan-real.js — worktrees that really conflict: a check of the worktrees on disk (`execplan
 * check`, the service's worktree watch) sends each pair whose changes do not merge as a
 * `worktree_conflict` event; the page lists them above the board, each until dismissed, and
 * outlines both worktrees on the board while the plan has them. As it opens (and reconnects) the
 * page also reads what the service's worktree watch already found. */

import { $, el, pid, state } from "./plan-common.js";
import { getJSON } from "./plan-api.js";

const MAX_FILES_SHOWN = 5;

// A pair's key: its batch and its two worktrees, in order.
const keyOf = (message) => `${message.batch}|${[...message.worktrees].sort().join("|")}`;
const filesOf = (message) => (Array.isArray(message.files) ? message.files : []);

// Keep (or replace) a pair that a check found, then draw. A pair dismissed comes back only when
// its files change (`again`: an event, news by itself; else what the watch still knows).
function keep(message, again) {
  if (!Array.isArray(message.worktrees) || message.worktrees.length !== 2) return;
  const key = keyOf(message);
  const files = filesOf(message);
  if (!again && state.dismissed.get(key) === files.join("\n")) return;
  state.dismissed.delete(key);
  state.real.set(key, {
    batch: message.batch,
    worktrees: [...message.worktrees].sort(),
    files,
    omitted: Number(message.files_omitted) || 0,
  });
}

export function heardConflict(message) {
  keep(message, true);
  drawRealConflicts();
}

// What the service's worktree watch found before this page listened (as it opens, and after a
// reconnection); a nicety: the page works without it.
export async function loadRealConflicts() {
  try {
    const { body } = await getJSON(`projects/${pid()}/execution-plan/worktree-conflicts`);
    for (const conflict of body.conflicts || []) keep(conflict, false);
    drawRealConflicts();
  } catch (_) {
    /* an older service, or none to read: events still arrive */
  }
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
  const pair = state.real.get(button.dataset.key);
  if (pair) state.dismissed.set(button.dataset.key, pair.files.join("\n"));
  state.real.delete(button.dataset.key);
  drawRealConflicts();
});
