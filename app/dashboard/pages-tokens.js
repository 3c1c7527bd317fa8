// API tokens, on the settings page: create one (shown once), list them (label, prefix, created,
// last used, revoked) and revoke one after a confirmation. Admins also look up anyone's tokens
// by user id. What is listed is User.apiTokens: the API shows them to their user and admins only.
import { useState } from "./vendor/hooks.mjs";
import { fieldErrors, gql, mutate } from "./api.js";
import { useLoad } from "./pages-budgets.js";
import { CREATE_TOKEN, MY_TOKENS, REVOKE_TOKEN, USER_TOKENS } from "./queries.js";
import { formatWhen } from "./time.js";
import { Confirm, Field, html, Notice } from "./ui.js";

function TokenTable({ tokens, caption, onRevoked, setNotice }) {
  const [revoking, setRevoking] = useState(null);
  if (!tokens.length) return html`<p class="muted">No tokens.</p>`;
  const revoke = async () => {
    const t = revoking;
    try {
      await mutate(REVOKE_TOKEN, { input: { tokenId: t.id } });
      setNotice({ kind: "success", text: `Revoked “${t.label}” (${t.prefix}…): it no longer works.` });
      onRevoked();
    } catch (err) {
      setNotice({ kind: "error", text: `Could not revoke “${t.label}”: ${err.message}` });
    }
    setRevoking(null);
  };
  return html`<div class="table-wrap"><table class="tokens">
    <caption class="sr-only">${caption}</caption>
    <thead><tr><th scope="col">Label</th><th scope="col">Prefix</th><th scope="col">Created</th>
      <th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
    <tbody>${tokens.map((t) => html`<tr key=${t.id} data-token-id=${t.id} data-revoked=${t.revokedAt ? "true" : "false"}>
      <th scope="row" data-label="Label">${t.label}</th>
      <td data-label="Prefix"><code>${t.prefix}…</code></td>
      <td data-label="Created">${formatWhen(t.createdAt)}</td>
      <td data-label="Last used">${t.lastUsedAt ? formatWhen(t.lastUsedAt) : "never"}</td>
      <td data-label="Status">${t.revokedAt
        ? html`<span class="tag revoked">Revoked ${formatWhen(t.revokedAt)}</span>`
        : html`<span class="tag active">Active</span>`}</td>
      <td class="action">${t.revokedAt ? null : html`<button type="button" class="secondary revoke"
        aria-label=${`Revoke ${t.label} (${t.prefix}…)`} onClick=${() => setRevoking(t)}>Revoke</button>`}</td>
    </tr>`)}</tbody>
  </table></div>
  ${revoking ? html`<${Confirm} title=${`Revoke “${revoking.label}”?`}
    body=${`Anything that sends ${revoking.prefix}… stops working at once. A revoked token cannot be brought back; create a new one if you need it again.`}
    confirmLabel="Revoke" danger onConfirm=${revoke} onCancel=${() => setRevoking(null)} />` : null}`;
}

function CreateToken({ onCreated }) {
  const [name, setName] = useState("");
  const [token, setToken] = useState(null);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const result = await mutate(CREATE_TOKEN, { input: { name: name.trim() || null } });
      setToken(result.token);
      setName("");
      onCreated();
    } catch (err) {
      setError({ field: fieldErrors(err, ["name"]).name, text: err.message });
    }
  };
  return html`<form onSubmit=${submit} id="token-form" class="tokens-form" aria-label="Create an API token">
    <${Field} label="Label" name="name" error=${error?.field} hint="e.g. the cost-export job">${(p) =>
      html`<input ...${p} value=${name} maxlength="200" onInput=${(e) => setName(e.currentTarget.value)} />`}<//>
    <button type="submit" class="secondary">Create a token</button>
    ${error && !error.field ? html`<p class="notice notice-error" role="alert">${error.text}</p>` : null}
    ${token ? html`<p class="notice notice-warning new-token" role="status">Copy it now, it is shown once:
      <code id="new-token">${token}</code></p>` : null}
  </form>`;
}

/** An admin looks up another person's tokens by id (usr_4) and may revoke them. */
function OthersTokens() {
  const [ref, setRef] = useState("");
  const [user, setUser] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = async (id) => {
    setError(null);
    try {
      const data = await gql(USER_TOKENS, { id });
      if (!data.node || !data.node.apiTokens) {
        setUser(null);
        setError(`No user ${id}.`);
      } else setUser(data.node);
    } catch (err) {
      setUser(null);
      setError(err.message);
    }
  };
  const submit = (e) => {
    e.preventDefault();
    setNotice(null);
    const id = ref.trim();
    if (!/^usr_\d+$/.test(id)) return setError("Type a user id such as usr_4.");
    load(id);
  };
  return html`<section aria-labelledby="others-tokens-title" class="others-tokens">
    <h3 id="others-tokens-title">Another person's tokens (admins)</h3>
    <form onSubmit=${submit} id="others-tokens-form" class="tokens-form">
      <${Field} label="User id" name="userId" error=${error} hint="e.g. usr_4 (allot users list shows them)">${(p) =>
        html`<input ...${p} value=${ref} autocomplete="off" onInput=${(e) => setRef(e.currentTarget.value)} />`}<//>
      <button type="submit" class="secondary">Show their tokens</button>
    </form>
    <${Notice} notice=${notice} />
    ${user ? html`<p class="muted">${`${user.name} <${user.email}>`}</p>
      <${TokenTable} tokens=${user.apiTokens} caption=${`API tokens of ${user.name}`}
        onRevoked=${() => load(user.id)} setNotice=${setNotice} />` : null}
  </section>`;
}

export function ApiTokens({ viewer, onAuthLost }) {
  const { data, error, reload } = useLoad(MY_TOKENS, {}, onAuthLost);
  const [notice, setNotice] = useState(null);
  const tokens = data?.viewer?.apiTokens;
  return html`<section class="card" id="api-tokens" aria-labelledby="token-title">
    <h2 id="token-title">API tokens</h2>
    <p class="muted">For scripts and integrations (sent as <code>Authorization: Bearer …</code>); the web app itself never needs one.</p>
    <${CreateToken} onCreated=${reload} />
    <h3 id="my-tokens-title">Your tokens</h3>
    <${Notice} notice=${notice} />
    ${error ? html`<${Notice} notice=${{ kind: "error", text: error.message }} />` : null}
    ${tokens ? html`<${TokenTable} tokens=${tokens} caption="Your API tokens" onRevoked=${reload} setNotice=${setNotice} />`
      : error ? null : html`<p class="muted" aria-busy="true">Loading…</p>`}
    ${viewer.isAdmin ? html`<${OthersTokens} />` : null}
  </section>`;
}
