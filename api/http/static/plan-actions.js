/* plan-actions.js — what the page's controls do: rebuild, move a task (the focus form), make a
 * batch sequential or parallel, filter and show all conflicts, focus a task by click or key. */

import { $, apiUrl, pid, state } from "./plan-common.js";
import { detailOf, notice, patchPlan, setBuilding, showTokenForm } from "./plan-api.js";
import { drawConflicts } from "./plan-board.js";
import { drawFocus, setFocus, worktreeOptions } from "./plan-focus.js";

$("rebuild").addEventListener("click", async () => {
  const response = await fetch(apiUrl(`projects/${pid()}/execution-plan/build`), {
    method: "POST",
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (response.status === 401) showTokenForm(await detailOf(response));
  else if (!response.ok) notice(`Could not start a build: ${await detailOf(response)}`);
  else setBuilding(true);
});

document.addEventListener("submit", async (event) => {
  if (event.target.id !== "move-form") return;
  event.preventDefault();
  const id = state.focus;
  const batchId = Number($("move-batch").value);
  const worktree = $("move-worktree").value;
  const current = state.render.batchOf.get(id);
  // to another batch: moved, then put in the worktree chosen there, if one was (the PATCH
  // applies moves first); in its own batch: to the worktree chosen
  const body = batchId !== current ? { batch_overrides: [{ task_id: id, batch_id: batchId }] } : {};
  if (worktree) body.worktree_assignments = { [String(id)]: worktree };
  await patchPlan(body);
});

document.addEventListener("change", (event) => {
  if (event.target.id === "move-batch") {
    // the worktrees of the batch chosen
    $("move-worktree").replaceChildren(...worktreeOptions(state.focus, Number(event.target.value), ""));
  } else if (event.target.id === "conflict-filter") {
    state.conflictFilter = event.target.value;
    state.conflictLimit = 100;
    drawConflicts();
    drawFocus();
  }
});

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  if (target.closest(".batch-toggle")) {
    const button = target.closest(".batch-toggle");
    patchPlan({ batch_overrides: [{ batch_id: Number(button.dataset.batchId), sequential: button.dataset.sequential === "true" }] });
    return;
  }
  if (target.id === "conflict-more") {
    state.conflictLimit = Infinity;
    drawConflicts();
    return;
  }
  if (target.id === "conflict-focus" || target.id === "focus-close") {
    setFocus(state.focus);
    return;
  }
  if (target.closest(".file")) return; // a file: its evidence, not the task's focus
  const cardNode = target.closest(".card");
  if (cardNode) setFocus(Number(cardNode.dataset.taskId));
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target instanceof Element && event.target.classList.contains("card")) {
    setFocus(Number(event.target.dataset.taskId));
  } else if (event.key === "Escape" && state.focus !== null) {
    setFocus(state.focus);
  }
});
