/* projects.js — the projects page's script (vanilla JS, no build step): lists the projects from
 * the REST API, each linking to its plan page; on a 401 shows the token form (token.js keeps the
 * token in a cookie, as for the plan page). Data is only ever put on the page with textContent. */
"use strict";

(() => {
  const root = new URL("./", window.location.href);
  const $ = (id) => document.getElementById(id);

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function load() {
    const response = await fetch(new URL("api/projects", root), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 401) {
      $("auth").hidden = false;
      $("summary").textContent = "Sign-in needed.";
      $("token-input").focus();
      return;
    }
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const rows = await response.json();
    const body = $("project-rows");
    body.replaceChildren();
    for (const project of rows) {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      const link = document.createElement("a");
      link.href = new URL(`projects/${encodeURIComponent(project.id)}/plan`, root).toString();
      link.textContent = project.name;
      name.append(link);
      tr.append(name, cell(project.repo_path || ""), cell(project.id));
      body.append(tr);
    }
    $("projects").hidden = rows.length === 0;
    $("summary").textContent = rows.length
      ? `${rows.length} project${rows.length === 1 ? "" : "s"}: open one to see its plan.`
      : "No projects yet: import a task list (execplan import, or PUT /api/projects).";
  }


  load().catch((error) => {
    const banner = $("error-banner");
    banner.textContent = `Could not load the projects: ${error.message}`;
    banner.hidden = false;
  });
})();
