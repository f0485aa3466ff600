/* token.js — the pages' token form (vanilla JS): on submit, keeps the API token in the
 * `execplan_token` cookie (SameSite=Strict, for this site only) and reloads the page. Loaded
 * before the page's own script by every page that reads the API. */
"use strict";

(() => {
  const form = document.getElementById("token-form");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = document.getElementById("token-input").value.trim();
    // cookie-octet (RFC 6265): a token with other characters cannot travel in a cookie as it is
    if (!/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/.test(token)) {
      document.getElementById("auth-message").textContent =
        "That token has characters a cookie cannot carry (spaces, quotes, commas, semicolons or backslashes).";
      return;
    }
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `execplan_token=${token}; path=/; SameSite=Strict${secure}`;
    window.location.reload();
  });
})();
