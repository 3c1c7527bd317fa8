// Settings: your password, your API tokens (pages-tokens.js), and (admins) adding people.
import { useState } from "./vendor/hooks.mjs";
import { fieldErrors, mutate } from "./api.js";
import { CREATE_USER, SET_PASSWORD } from "./queries.js";
import { ApiTokens } from "./pages-tokens.js";
import { Field, html, Notice } from "./ui.js";

function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const bind = (name) => ({
    value: values[name],
    onInput: (e) => setValues({ ...values, [name]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value }),
  });
  return { values, setValues, errors, setErrors, notice, setNotice, bind };
}

function PasswordForm() {
  const f = useForm({ password: "", again: "" });
  const submit = async (e) => {
    e.preventDefault();
    if (f.values.password !== f.values.again) return f.setErrors({ again: "The two passwords differ." });
    f.setErrors({});
    try {
      await mutate(SET_PASSWORD, { input: { password: f.values.password } });
      f.setValues({ password: "", again: "" });
      f.setNotice({ kind: "success", text: "Password changed. Your other sessions have ended; sign in again on them." });
    } catch (err) {
      f.setErrors(fieldErrors(err, ["password"]));
      f.setNotice({ kind: "error", text: err.message });
    }
  };
  return html`<form class="card" onSubmit=${submit} id="password-form" aria-labelledby="pw-title">
    <h2 id="pw-title">Your password</h2>
    <${Notice} notice=${f.notice} />
    <${Field} label="New password" name="password" error=${f.errors.password} hint="10 characters or more">${(p) =>
      html`<input ...${p} type="password" autocomplete="new-password" ...${f.bind("password")} />`}<//>
    <${Field} label="The same again" name="again" error=${f.errors.again}>${(p) =>
      html`<input ...${p} type="password" autocomplete="new-password" ...${f.bind("again")} />`}<//>
    <button type="submit" class="primary">Change password</button>
  </form>`;
}

function AddPersonForm() {
  const f = useForm({ name: "", email: "", password: "", isBudgetCreator: false });
  const submit = async (e) => {
    e.preventDefault();
    f.setErrors({});
    try {
      const { user } = await mutate(CREATE_USER, { input: {
        name: f.values.name, email: f.values.email, password: f.values.password || null,
        isBudgetCreator: f.values.isBudgetCreator } });
      f.setValues({ name: "", email: "", password: "", isBudgetCreator: false });
      f.setNotice({ kind: "success", text: `Added ${user.name} <${user.email}>${f.values.password ? ": they can sign in now" : ""}.` });
    } catch (err) {
      f.setErrors(fieldErrors(err, ["name", "email", "password"]));
      f.setNotice({ kind: "error", text: `Could not add them: ${err.message}` });
    }
  };
  return html`<form class="card" onSubmit=${submit} id="person-form" aria-labelledby="person-title">
    <h2 id="person-title">Add a person</h2>
    <${Notice} notice=${f.notice} />
    <div class="form-grid">
      <${Field} label="Name" name="name" error=${f.errors.name}>${(p) => html`<input ...${p} ...${f.bind("name")} />`}<//>
      <${Field} label="E-mail" name="email" error=${f.errors.email}>${(p) => html`<input ...${p} type="email" ...${f.bind("email")} />`}<//>
      <${Field} label="First password" name="password" error=${f.errors.password} hint="give it to them; they change it in Settings">${(p) =>
        html`<input ...${p} type="text" autocomplete="off" ...${f.bind("password")} />`}<//>
    </div>
    <label class="check"><input type="checkbox" name="isBudgetCreator" checked=${f.values.isBudgetCreator}
      onChange=${(e) => f.setValues({ ...f.values, isBudgetCreator: e.currentTarget.checked })} /> May create budgets and projects</label>
    <button type="submit" class="primary">Add</button>
  </form>`;
}

export function SettingsPage({ viewer, onAuthLost }) {
  return html`<section aria-labelledby="settings-title" class="narrow">
    <h1 id="settings-title">Settings</h1>
    <p class="muted">Signed in as ${`${viewer.name} <${viewer.email}>`}</p>
    <${PasswordForm} />
    <${ApiTokens} viewer=${viewer} onAuthLost=${onAuthLost} />
    ${viewer.isAdmin ? html`<${AddPersonForm} />` : null}
  </section>`;
}
