// The last step of staff sign-in: /auth/callback sent the browser here with okno's token in
// the URL fragment (which never reaches a server or its log). Keep it for this tab's pages
// and go on to the page that asked for sign-in.
import { say, setToken } from "/ui/okno.js";

// The same rule as the server's (api/oidc/routes.py NEXT_PAGE): only okno's own pages, so a
// crafted link cannot send the browser elsewhere.
const NEXT_PAGE = /^\/ui\/[A-Za-z0-9\-._~\/%?=&+]*$/;
const CHECK_COOKIE = "okno_signed_in";

function oneTimeCheck() {
  const entry = document.cookie.split("; ").find((cookie) => cookie.startsWith(`${CHECK_COOKIE}=`));
  document.cookie = `${CHECK_COOKIE}=; Max-Age=0; Path=/ui/signed-in.html; SameSite=Lax`;
  return entry ? entry.slice(CHECK_COOKIE.length + 1) : null;
}

const fragment = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, "", location.pathname); // the token leaves the address bar at once
const token = fragment.get("token");
const next = fragment.get("next") || "/ui/";
const check = fragment.get("check");

// The check value came both in the fragment and in a cookie only okno's server sets: a token
// in a link someone else made (to have this browser act under their name) has no cookie.
if (!token || !check || oneTimeCheck() !== check) {
  say("Вход не подтверждён: ссылка входа не от этого сервера или уже использована. Войдите снова.", "error");
  document.getElementById("again").hidden = false;
} else {
  setToken(token);
  location.replace(NEXT_PAGE.test(next) && !next.includes("//") ? next : "/ui/");
}
