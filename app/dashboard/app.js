// The web app's entry: session, routes with deep links, layout. Pages live in pages-*.js.
import { render } from "./vendor/preact.mjs";
import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import { currentSession, signIn, signInOptions, signOut } from "./api.js";
import { navigate } from "./nav.js";
import { Field, html, Link } from "./ui.js";
import { BudgetsPage, NewBudgetPage } from "./pages-budgets.js";
import { BudgetPage } from "./pages-budget.js";
import { ProjectPage, TransferPage } from "./pages-other.js";
import { SettingsPage } from "./pages-settings.js";
import { AlertsPage } from "./pages-alerts.js";
import { PeriodsPage } from "./pages-periods.js";
import { EditBudgetPage } from "./pages-budget-edit.js";
import { SpendPage } from "./pages-spend.js";
import { UnassignedNavLink, UnassignedPage } from "./pages-unassigned.js";

/** path -> {page, params}; unknown paths show the budgets list. */
export function route(path) {
  let m;
  if (path === "/login") return { page: "login" };
  if (path === "/budgets/new") return { page: "new-budget" };
  if (path === "/unassigned") return { page: "unassigned" };
  if ((m = /^\/budgets\/([^/]+)\/edit$/.exec(path))) return { page: "edit-budget", id: decodeURIComponent(m[1]) };
  if ((m = /^\/budgets\/([^/]+)\/spend$/.exec(path))) return { page: "spend", id: decodeURIComponent(m[1]) };
  if (path === "/settings") return { page: "settings" };
  if (path === "/alerts") return { page: "alerts" };
  if ((m = /^\/budgets\/([^/]+)\/periods$/.exec(path))) return { page: "periods", id: decodeURIComponent(m[1]) };
  if ((m = /^\/budgets\/([^/]+)$/.exec(path))) return { page: "budget", id: decodeURIComponent(m[1]) };
  if ((m = /^\/projects\/([^/]+)$/.exec(path))) return { page: "project", id: decodeURIComponent(m[1]) };
  if ((m = /^\/transfers\/([^/]+)$/.exec(path))) return { page: "transfer", id: decodeURIComponent(m[1]) };
  return { page: "budgets" };
}


function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    const click = (e) => {
      const a = e.target.closest && e.target.closest("a[data-link]");
      if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      navigate(a.getAttribute("href"));
    };
    window.addEventListener("popstate", update);
    window.addEventListener("allot:navigate", update);
    document.addEventListener("click", click);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener("allot:navigate", update);
      document.removeEventListener("click", click);
    };
  }, []);
  return path;
}

/** What /auth/oidc/callback's refusals (`/login?oidc_error=<code>`, app/oidc.py) mean. */
const OIDC_ERRORS = {
  state: "That sign-in expired or was not started from this page. Please try again.",
  provider: "The sign-in provider refused or could not be reached. Please try again later.",
  token: "The sign-in provider's answer could not be verified, so you are not signed in.",
  nonce: "The sign-in provider's answer was not for this sign-in, so you are not signed in.",
  email_unverified: "Your provider has not verified your e-mail address, so Allot cannot match it to a user.",
  unknown_user: "No Allot user has the e-mail address your provider gave. Ask an administrator to add you with that address.",
};

function LoginPage({ onSignedIn }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(() => {
    const code = new URLSearchParams(location.search).get("oidc_error");
    return code ? { sso: true, message: OIDC_ERRORS[code] || "Single sign-on did not work. Please try again." } : null;
  });
  const oidc = signInOptions.oidc;
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(email, password);
      onSignedIn(session);
    } catch (err) {
      setError({ field: err.field, message: err.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="login card" aria-labelledby="login-title">
    <h1 id="login-title">Sign in to Allot</h1>
    ${error?.sso ? html`<p class="notice notice-error" role="alert" id="login-error">${error.message}</p>` : null}
    <form onSubmit=${submit} noValidate id="login-form">
      <${Field} label="E-mail" name="email" error=${error?.field === "email" ? error.message : null}>
        ${(p) => html`<input ...${p} type="email" autocomplete="username" required value=${email}
          onInput=${(e) => setEmail(e.currentTarget.value)} />`}
      <//>
      <${Field} label="Password" name="password" error=${error?.field === "password" ? error.message : null}>
        ${(p) => html`<input ...${p} type="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />`}
      <//>
      ${error && !error.field && !error.sso ? html`<p class="notice notice-error" role="alert" id="login-error">${error.message}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
    ${oidc ? html`<p class="or">or</p><a class="button secondary sso" id="oidc-sign-in" href=${oidc.url}>Sign in with ${oidc.name}</a>` : null}
    <p class="hint">No password yet? Ask an administrator to set one (<code>allot users set-password</code>).</p>
  </section>`;
}

function App() {
  const path = usePath();
  const [session, setSession] = useState(undefined); // undefined: still asking
  const main = useRef(null);
  useEffect(() => {
    currentSession().then(setSession, () => setSession(null));
  }, []);
  const where = route(path);
  useEffect(() => {
    if (session === null && where.page !== "login") navigate("/login", { replace: true });
    if (session && where.page === "login") navigate("/", { replace: true });
  }, [session, where.page]);
  useEffect(() => {
    // A new page: move focus to its main region, as a screen reader expects after navigation.
    if (main.current && session) main.current.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [path]);

  const onAuthLost = () => setSession(null);
  const out = async () => {
    await signOut();
    setSession(null);
  };
  let page;
  if (session === undefined) page = html`<p class="muted" aria-busy="true">Loading…</p>`;
  else if (!session) page = html`<${LoginPage} onSignedIn=${(s) => { setSession(s); navigate("/", { replace: true }); }} />`;
  else {
    const props = { key: path, id: where.id, viewer: session.user, onAuthLost };
    page = {
      budgets: () => html`<${BudgetsPage} ...${props} />`,
      "new-budget": () => html`<${NewBudgetPage} ...${props} />`,
      budget: () => html`<${BudgetPage} ...${props} />`,
      project: () => html`<${ProjectPage} ...${props} />`,
      transfer: () => html`<${TransferPage} ...${props} />`,
      settings: () => html`<${SettingsPage} ...${props} />`,
      alerts: () => html`<${AlertsPage} ...${props} />`,
      periods: () => html`<${PeriodsPage} ...${props} />`,
      "edit-budget": () => html`<${EditBudgetPage} ...${props} />`,
      spend: () => html`<${SpendPage} ...${props} />`,
      unassigned: () => html`<${UnassignedPage} ...${props} />`,
      login: () => null,
    }[where.page]();
  }
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <${Link} href="/" class="brand">Allot<//>
      ${session
        ? html`<nav aria-label="Main"><${Link} href="/" aria-current=${where.page === "budgets" ? "page" : undefined}>Budgets<//>
              <${UnassignedNavLink} viewer=${session.user} current=${where.page === "unassigned"} />
              <${Link} href="/alerts" id="alerts-link" aria-current=${where.page === "alerts" ? "page" : undefined}>Alerts<//>
              <${Link} href="/settings" id="settings-link" aria-current=${where.page === "settings" ? "page" : undefined}>Settings<//></nav>
            <div class="who">
              <span id="viewer">${session.user.name}${session.user.isAdmin ? " (admin)" : ""}</span>
              <button type="button" class="secondary" id="sign-out" onClick=${out}>Sign out</button>
            </div>`
        : null}
    </header>
    <main id="main" tabindex="-1" ref=${main}>${page}</main>`;
}

render(html`<${App} />`, document.getElementById("app"));
