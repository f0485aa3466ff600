/* plan-board.js — drawing a plan: the summary, why it is not more parallel, the board (batches
 * as columns, worktree lanes as rows, a card per task with its predicted files) and the list of
 * predicted conflicts. */

import {
  $,
  CONFLICT_LABEL,
  duration,
  el,
  epicName,
  keepsApart,
  laneHead,
  laneOf,
  laneOrder,
  plural,
  shownConflict,
  state,
  when,
} from "./plan-common.js";
import { drawFocus } from "./plan-focus.js";
import { applySearch } from "./plan-find.js";
import { drawRealConflicts } from "./plan-real.js";

export function render(plan) {
  const previous = state.placement;
  const previousVersion = state.plan ? state.plan.version : null;
  state.plan = plan;
  document.body.dataset.planVersion = String(plan.version);
  $("empty").hidden = true;
  $("auth").hidden = true;

  const planTasks = new Map((plan.tasks || []).map((t) => [Number(t.id), t]));
  const assignments = plan.worktree_assignments || {};
  const batches = plan.batches || [];
  const conflicts = plan.predicted_conflicts || [];
  const meta = plan.metadata || {};
  const keyOf = (id) => (planTasks.get(id) || state.tasks.get(id) || {}).key || `#${id}`;

  // conflicts by task, for the badges
  const conflictsOf = new Map();
  conflicts.forEach((conflict, index) => {
    for (const id of conflict.task_ids) {
      if (!conflictsOf.has(Number(id))) conflictsOf.set(Number(id), []);
      conflictsOf.get(Number(id)).push(index);
    }
  });

  // worktrees per (batch, lane), in the order the batch lists its tasks
  const lanes = new Set();
  const cells = new Map(); // `${batchIndex}|${lane}` -> Map(worktree -> [task ids])
  const batchOf = new Map();
  batches.forEach((batch, index) => {
    for (const rawId of batch.task_ids) {
      const id = Number(rawId);
      const worktree = assignments[String(id)] || "unassigned";
      const lane = laneOf(worktree);
      lanes.add(lane);
      batchOf.set(id, batch.batch_id);
      const key = `${index}|${lane}`;
      if (!cells.has(key)) cells.set(key, new Map());
      const worktrees = cells.get(key);
      if (!worktrees.has(worktree)) worktrees.set(worktree, []);
      worktrees.get(worktree).push(id);
    }
  });
  const laneList = [...lanes].sort(laneOrder);

  // header summary
  const parallel = batches.filter((b) => b.can_parallel).length;
  const parts = [
    `version ${plan.version}`,
    plural(batches.length, "batch", "batches"),
    plural(batchOf.size, "task"),
    `${parallel} parallel`,
    plural(conflicts.length, "predicted conflict"),
  ];
  if (meta.estimated_duration !== undefined) {
    let text = `≈ ${duration(meta.estimated_duration)}`;
    if (meta.estimated_serial_duration) text += ` (${duration(meta.estimated_serial_duration)} one at a time)`;
    parts.push(text);
  }
  parts.push(`built ${when(plan.created_at)}`);
  const summary = $("summary");
  summary.textContent = parts.join(" · ");
  summary.classList.remove("flash");
  void summary.offsetWidth; // restart the animation
  if (previousVersion !== null && previousVersion !== plan.version) summary.classList.add("flash");

  // overrides that no longer apply
  const notApplied = ((meta.overrides || {}).not_applied || []).map((item) => item.reason || JSON.stringify(item));
  const overrides = $("overrides-banner");
  overrides.hidden = notApplied.length === 0;
  overrides.replaceChildren(
    notApplied.length ? el("strong", { text: "Manual adjustments not applied: " }) : "",
    notApplied.join("; "),
  );

  // why the plan is not more parallel, most costly first (hover one to find its cards)
  const reasons = (Array.isArray(meta.why) ? meta.why : []).filter((r) => r && r.text);
  $("why-list").replaceChildren(
    ...reasons.map((reason, index) => {
      const epics = new Set((reason.task_ids || []).map((id) => (state.tasks.get(Number(id)) || {}).epic_id));
      const name = reason.kind === "epic_serial" && epics.size === 1 ? epicName([...epics][0]) : null;
      return el(
        "li",
        { class: "reason", "data-kind": reason.kind || "", "data-reason-index": index, tabindex: 0 },
        el("span", { class: "reason-text", text: reason.text }),
        name ? el("span", { class: "muted reason-epic", text: ` (${name})` }) : "",
      );
    }),
  );
  $("why").hidden = reasons.length === 0;

  const stored = (meta.overrides || {}).stored || {};
  const markedSequential = new Set(
    (stored.batch_overrides || []).filter((o) => o.sequential === true).map((o) => Number(o.batch_id)),
  );

  // the board: a grid, one column per batch after the lane labels, one row per lane
  const board = $("board");
  board.style.setProperty("--batches", String(Math.max(batches.length, 1)));
  const headRow = el(
    "div",
    { class: "row head-row", role: "row" },
    el("div", { class: "corner", role: "columnheader", text: "lane \\ batch" }),
    batches.map((batch, index) =>
      el(
        "div",
        {
          class: `batch-head ${batch.can_parallel ? "parallel" : "sequential"}`,
          role: "columnheader",
          "data-batch-id": batch.batch_id,
          "data-batch-index": index,
        },
        el("span", { class: "batch-name", text: `Batch ${batch.batch_id}` }),
        el(
          "span",
          { class: "batch-facts" },
          batch.can_parallel ? "parallel" : "sequential",
          ` · ≈ ${duration(batch.estimated_duration)}`,
          batch.depends_on && batch.depends_on.length ? ` · after ${batch.depends_on.join(", ")}` : "",
        ),
        // a parallel batch can be made sequential; one made so, parallel again
        batch.can_parallel || markedSequential.has(batch.batch_id)
          ? el("button", {
              type: "button",
              class: "batch-toggle",
              "data-batch-id": batch.batch_id,
              "data-sequential": batch.can_parallel ? "true" : "false",
              title: batch.can_parallel
                ? "Run this batch's tasks one after another in one worktree (kept on every rebuild)"
                : "Let this batch's tasks run side by side again",
              text: batch.can_parallel ? "make sequential" : "make parallel",
            })
          : "",
      ),
    ),
  );
  const combined = meta.combined_worktrees || {};
  const rows = laneList.map((lane) =>
    el(
      "div",
      { class: "row lane", role: "row", "data-lane": lane },
      el("div", { class: "lane-head", role: "rowheader" }, laneHead(lane)),
      batches.map((batch, index) => {
        const worktrees = cells.get(`${index}|${lane}`);
        const cell = el("div", { class: "cell", role: "cell", "data-lane": lane, "data-batch-id": batch.batch_id });
        if (!worktrees) {
          cell.classList.add("empty");
          return cell;
        }
        for (const [worktree, ids] of worktrees) {
          const epics = combined[worktree];
          cell.append(
            el(
              "section",
              { class: "worktree", "data-worktree": worktree },
              el(
                "header",
                { class: "worktree-name" },
                el("span", { text: worktree }),
                epics && epics.length > 1
                  ? el("span", {
                      class: "combined",
                      title: "lanes combined in this worktree",
                      text: epics.map((e) => (e < 0 ? keyOf(-e) : epicName(e) || `epic ${e}`)).join(" + "),
                    })
                  : "",
              ),
              ids.map((id, position) =>
                card(id, position, ids.length, batch.batch_id, worktree, planTasks, conflicts, conflictsOf, keyOf, meta),
              ),
            ),
          );
        }
        return cell;
      }),
    ),
  );
  board.replaceChildren(headRow, ...rows);
  $("board-scroll").hidden = batches.length === 0;
  if (batches.length === 0) {
    const box = $("empty");
    box.replaceChildren(el("h2", { text: "Nothing left to plan" }), el("p", { text: "Every task of this project is done." }));
    box.hidden = false;
  }

  // conflict list: filtered by strength (default: those that keep tasks apart), the focused
  // task's only when one is in focus, at most conflictLimit rows until "show all"
  state.render = { batchOf, assignments, keyOf, conflicts, meta };
  drawConflicts();
  $("conflicts").hidden = conflicts.length === 0;

  // remember where every card was, and mark those that moved since the last drawing
  const placement = new Map();
  for (const [id, batchId] of batchOf) placement.set(id, `${batchId}|${assignments[String(id)]}`);
  if (previousVersion !== null && previousVersion !== plan.version) {
    for (const [id, where] of placement) {
      if (previous.get(id) !== where) {
        const node = board.querySelector(`.card[data-task-id="${id}"]`);
        if (node) node.classList.add("moved");
      }
    }
  }
  state.placement = placement;
  if (state.focus !== null && !batchOf.has(state.focus)) state.focus = null;
  drawFocus();
  applySearch();
  drawRealConflicts();
}

export function drawConflicts() {
  const { batchOf, assignments, keyOf, conflicts, meta } = state.render || {};
  if (!conflicts) return;
  const chosen = [];
  conflicts.forEach((conflict, index) => {
    if (!shownConflict(conflict, meta)) return;
    if (state.focus !== null && !conflict.task_ids.map(Number).includes(state.focus)) return;
    chosen.push(index);
  });
  chosen.sort((x, y) => Number(conflicts[y].strength ?? 1) - Number(conflicts[x].strength ?? 1));
  const listed = chosen.slice(0, state.conflictLimit);
  $("conflict-list").replaceChildren(
    ...listed.map((index) => {
      const conflict = conflicts[index];
      const [a, b] = conflict.task_ids.map(Number);
      return el(
        "li",
        { class: `conflict conflict-${conflict.conflict_type}`, "data-conflict-index": index, tabindex: 0 },
        el("span", { class: `badge conflict-${conflict.conflict_type}`, text: CONFLICT_LABEL[conflict.conflict_type] || conflict.conflict_type }),
        el("span", { class: "pair", text: `${keyOf(a)} ↔ ${keyOf(b)}` }),
        el("span", { class: "strength", text: Number(conflict.strength ?? 1).toFixed(2) }),
        el("span", { class: "files", text: (conflict.predicted_files || []).join(", ") }),
        el("span", { class: "muted resolution", text: resolution(a, b, batchOf, assignments) }),
      );
    }),
  );
  $("conflict-count").textContent = `${chosen.length} of ${conflicts.length}`;
  const more = $("conflict-more");
  more.hidden = chosen.length <= listed.length;
  more.textContent = `show all ${chosen.length}`;
  const chip = $("conflict-focus");
  chip.hidden = state.focus === null;
  if (state.focus !== null) chip.textContent = `only ${keyOf(state.focus)} ✕`;
}

function resolution(a, b, batchOf, assignments) {
  const ba = batchOf.get(a);
  const bb = batchOf.get(b);
  if (ba === undefined || bb === undefined) return "";
  if (ba !== bb) return `apart: batches ${Math.min(ba, bb)} and ${Math.max(ba, bb)}`;
  const wa = assignments[String(a)];
  if (wa === assignments[String(b)]) return `one after the other in ${wa}`;
  return `same batch ${ba}, different worktrees`;
}

function card(id, position, count, batchId, worktree, planTasks, conflicts, conflictsOf, keyOf, meta) {
  const planned = planTasks.get(id) || {};
  const row = state.tasks.get(id) || {};
  const key = planned.key || row.key || `#${id}`;
  const mine = conflictsOf.get(id) || [];
  // the card's edge takes the colour of its strongest conflict
  const kinds = mine.map((index) => conflicts[index].conflict_type);
  const worst = ["declared", "same_file", "same_directory", "potential"].find((kind) => kinds.includes(kind));
  const node = el("article", {
    class: `card${mine.length ? ` has-conflict edge-${worst || "potential"}` : ""}`,
    tabindex: 0,
    "data-task-id": id,
    "data-task-key": key,
    "data-batch-id": batchId,
    "data-worktree": worktree,
  });
  const apart = mine.filter((index) => keepsApart(conflicts[index], meta));
  const strongest = [...apart].sort((x, y) => Number(conflicts[y].strength) - Number(conflicts[x].strength));
  const badges = apart.length
    ? el("button", {
        type: "button",
        class: "badge conflict-count",
        "data-task-id": id,
        title: `${plural(apart.length, "conflict keeps", "conflicts keep")} it apart: ${strongest
          .slice(0, 5)
          .map((index) => {
            const conflict = conflicts[index];
            const other = conflict.task_ids.map(Number).find((t) => t !== id);
            return `${keyOf(other)} (${CONFLICT_LABEL[conflict.conflict_type] || conflict.conflict_type}, ${Number(conflict.strength).toFixed(2)})`;
          })
          .join(", ")}${apart.length > 5 ? ", …" : ""}`,
        text: `⚠ ${apart.length}`,
      })
    : null;
  node.append(
    el(
      "header",
      { class: "card-head" },
      count > 1 ? el("span", { class: "order", title: "order in its worktree", text: `${position + 1}.` }) : "",
      el("span", { class: "key", text: key }),
      el("span", { class: "badges" }, badges),
    ),
  );
  const description = row.description || "";
  if (description) node.append(el("p", { class: "description", title: description, text: description }));
  const files = planned.predicted_files || [];
  if (files.length) {
    node.append(
      el(
        "ul",
        { class: "files", "aria-label": "predicted files" },
        files.map((file) => {
          const confidence = Math.max(0, Math.min(1, Number(file.confidence) || 0));
          const item = el(
            "li",
            { class: "file", tabindex: 0, "data-path": file.path },
            el("span", { class: "path", text: file.path }),
            el("span", { class: "confidence", text: `${Math.round(confidence * 100)}%` }),
          );
          item.style.setProperty("--confidence", String(confidence));
          item.evidence = file.evidence || [];
          item.confidence = confidence;
          return item;
        }),
      ),
    );
  } else {
    node.append(el("p", { class: "muted small", text: "no predicted files" }));
  }
  return node;
}
