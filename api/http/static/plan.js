/* plan.js — the plan page's script (vanilla JS modules, no build step, no network beyond this server).
 * Fetches the project's execution plan and tasks from the REST API, draws batches as columns and
 * worktree lanes as rows with one card per task, says why the plan is not more parallel (the
 * plan's metadata.why, at the top), marks predicted conflicts, shows a predicted
 * file's evidence on hover, and follows /api/ws/{id} to redraw whenever the plan changes
 * (reconnecting with backoff). On a 401 it shows the token form (token.js keeps the token).
 * Data is only ever put on the page with textContent, never parsed as HTML.
 * The parts: plan-common.js (state, helpers), plan-api.js (REST), plan-board.js (drawing),
 * plan-focus.js (the task in focus), plan-actions.js (controls), plan-find.js (search, hover),
 * plan-live.js (the WebSocket), plan-real.js (worktrees that really conflict). */

import { AuthError, refresh, resolveProject, setLoadError, showTokenForm } from "./plan-api.js";
import { connect } from "./plan-live.js";
import "./plan-actions.js";

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
