/* plan.js — the plan page's script (vanilla JS, no build step, no network beyond this server).
 * Fetches the project's execution plan and tasks from the REST API, draws batches as columns and
 * worktree lanes as rows with one card per task, says why the plan is not more parallel (the
 * plan's metadata.why, at the top), marks predicted conflicts, shows a predicted
 * file's evidence on hover, and follows /api/ws/{id} to redraw whenever the plan changes
 * (reconnecting with backoff). On a 401 it shows the token form (token.js keeps the token).
 * Data is only ever put on the page with textContent, never parsed as HTML. */
"use strict";

(() => {
  // the project as the URL names it: its id, or its name (resolved through the API at the start)
  let projectId = document.body.dataset.projectId;
  // The app's root, whatever prefix it is served under: the page lives at <root>projects/{id}/plan.
  const root = new URL("../../", window.location.href);
  const apiUrl = (path) => new URL("api/" + path, root).toString();
  const $ = (id) => document.getElementById(id);

  const state = {
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
  };

  // ---------------------------------------------------------------- small helpers

  function el(tag, attrs, ...children) {
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

  function duration(seconds) {
    const minutes = Math.round((Number(seconds) || 0) / 60);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }

  function when(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso || "") : date.toLocaleString();
  }

  const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + "s"}`;
  const CONFLICT_LABEL = {
    same_file: "same file",
    same_directory: "same directory",
    potential: "potential",
    declared: "declared by the task list",
  };

  // The lane of a worktree: its name without the batch, so one epic's worktrees line up in a row.
  function laneOf(worktree) {
    const match = /^worktree-batch\d+-(.+)$/.exec(worktree || "");
    return match ? match[1] : worktree || "unassigned";
  }

  function epicName(id) {
    const epic = state.epics.get(Number(id));
    return epic && epic.name ? epic.name : null;
  }

  // A lane's heading: the epic's name when the API gave it, and its id.
  function laneHead(lane) {
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
  function keepsApart(conflict, meta) {
    const splitOn = Array.isArray(meta.split_on) ? meta.split_on : ["same_file"];
    const least = Number(meta.min_conflict_strength) || 0;
    if (conflict.merge_friendly && !meta.split_merge_friendly) return false;
    return splitOn.includes(conflict.conflict_type) && Number(conflict.strength ?? 1) >= least;
  }

  function shownConflict(conflict, meta) {
    if (state.conflictFilter === "all") return true;
    if (state.conflictFilter === "strong") return Number(conflict.strength ?? 1) >= 0.5;
    return keepsApart(conflict, meta);
  }

  function laneOrder(a, b) {
    const na = /^epic(\d+)$/.exec(a);
    const nb = /^epic(\d+)$/.exec(b);
    if (na && nb) return Number(na[1]) - Number(nb[1]);
    if (na || nb) return na ? -1 : 1;
    return a.localeCompare(b);
  }

  // ---------------------------------------------------------------- API

  class AuthError extends Error {}
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function detailOf(response) {
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

  async function getJSON(path) {
    const response = await fetch(apiUrl(path), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 401) throw new AuthError(await detailOf(response));
    if (!response.ok) throw new ApiError(response.status, await detailOf(response));
    return { body: await response.json(), etag: response.headers.get("ETag") };
  }

  let pid = encodeURIComponent(projectId);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  // A page reached by the project's name finds its id (the name list needs the token, as all
  // project data does), then shows the id's URL; false when there is no such project.
  async function resolveProject() {
    if (UUID.test(projectId)) return true;
    const { body } = await getJSON("projects");
    const rows = Array.isArray(body) ? body : body.projects || [];
    const project = rows.find((p) => p.name === projectId);
    if (!project) {
      showEmpty(`There is no project named ${JSON.stringify(projectId)}.`);
      return false;
    }
    projectId = String(project.id);
    pid = encodeURIComponent(projectId);
    document.body.dataset.projectId = projectId;
    window.history.replaceState(null, "", new URL(`projects/${pid}/plan`, root).toString());
    return true;
  }

  // Refreshes never overlap: one asked for while another runs makes it go round once more.
  let running = null;
  let again = false;
  function refresh() {
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

  async function loadOnce() {
    const [plan, tasks, epics] = await Promise.allSettled([
      getJSON(`projects/${pid}/execution-plan`),
      getJSON(`projects/${pid}/tasks`),
      getJSON(`projects/${pid}/epics`),
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
      const project = rows.find((p) => String(p.id).toLowerCase() === projectId.toLowerCase());
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

  function showTokenForm(message) {
    state.needsToken = true;
    $("auth").hidden = false;
    $("auth-message").textContent = message || "";
    $("summary").textContent = "Sign-in needed.";
    setConnection("closed", "no token");
    $("token-input").focus();
  }

  function showEmpty(message) {
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
    $("summary").textContent = `Project ${projectId}`;
    document.body.dataset.planVersion = "";
  }

  // Two kinds of trouble share the red banner: the last build failed, the last load failed.
  function showErrors() {
    const messages = [state.buildError, state.loadError].filter(Boolean);
    const banner = $("error-banner");
    banner.textContent = messages.join(" · ");
    banner.hidden = messages.length === 0;
  }

  function setBuildError(message) {
    state.buildError = message;
    showErrors();
  }

  function setLoadError(message) {
    state.loadError = message;
    showErrors();
  }

  function setBuilding(on) {
    const badge = $("build-status");
    badge.hidden = !on;
    badge.textContent = on ? "building…" : "";
    document.body.classList.toggle("is-building", on);
  }

  function setConnection(kind, text) {
    const badge = $("connection");
    badge.dataset.state = kind;
    badge.textContent = text || kind;
  }

  // ---------------------------------------------------------------- drawing the plan

  function render(plan) {
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
  }

  function drawConflicts() {
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

  // ---------------------------------------------------------------- focus: a task's conflicts and dependencies

  function cardOf(id) {
    return document.querySelector(`.card[data-task-id="${Number(id)}"]`);
  }

  function dependenciesOf(id) {
    return ((state.tasks.get(id) || {}).depends_on || []).map((d) => Number(d.task_id ?? d));
  }

  function setFocus(id) {
    state.focus = state.focus === id ? null : id;
    state.conflictLimit = 100;
    drawConflicts();
    drawFocus();
  }

  function drawFocus() {
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
  function worktreeOptions(id, batchId, selected) {
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

  // ---------------------------------------------------------------- acting: PATCH with If-Match, rebuild

  async function patchPlan(body) {
    const response = await fetch(apiUrl(`projects/${pid}/execution-plan`), {
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

  function notice(message) {
    const banner = $("notice-banner");
    banner.textContent = message || "";
    banner.hidden = !message;
  }

  $("rebuild").addEventListener("click", async () => {
    const response = await fetch(apiUrl(`projects/${pid}/execution-plan/build`), {
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

  // ---------------------------------------------------------------- search

  function applySearch() {
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

  // ---------------------------------------------------------------- live updates

  function connect() {
    if (state.needsToken) return;
    const url = new URL(`api/ws/${pid}`, root);
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
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      if (!message || String(message.project_id || "").toLowerCase() !== projectId.toLowerCase()) return;
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


  // ---------------------------------------------------------------- start

  // Listen once the API has answered (with a plan or a 404): not before a token is known to work.
  resolveProject()
    .then((found) => {
      if (!found) return;
      return refresh()
        .catch((error) => setLoadError(`Could not load the plan: ${error.message}`))
        .finally(connect);
    })
    .catch((error) => {
      if (error instanceof AuthError) showTokenForm(error.message);
      else setLoadError(`Could not find the project: ${error.message}`);
    });
})();
