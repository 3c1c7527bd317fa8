// The one GraphQL client of the web app: the session (cookie + CSRF header), typed errors
// mapped to form fields, and nothing else talks to the server.

let csrfToken = null;

export class ApiError extends Error {
  /** kind: "auth" (not signed in), "denied", "typed" (a mutation's typed error), "network". */
  constructor(message, { kind = "error", code = null, field = null, status = 0 } = {}) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.field = field;
    this.status = status;
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} ${response.statusText}.`, {
      status: response.status,
    });
  }
}

async function send(url, options) {
  try {
    return await fetch(url, { credentials: "same-origin", ...options });
  } catch (err) {
    throw new ApiError(`Cannot reach the Allot server (${err.message}).`, { kind: "network" });
  }
}

/** Other ways to sign in the server offers ({oidc: {name, url}} when configured). */
export let signInOptions = {};

/** Who is signed in ({user, csrfToken}), or null. */
export async function currentSession() {
  const response = await send("/auth/session", { headers: { Accept: "application/json" } });
  if (response.status === 401) {
    signInOptions = (await readJson(response)).signIn || {};
    return null;
  }
  const body = await readJson(response);
  csrfToken = body.csrfToken;
  return body;
}

export async function signIn(email, password) {
  const response = await send("/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = await readJson(response);
  if (!response.ok) {
    const error = body.error || {};
    throw new ApiError(error.message || "Could not sign in.", {
      kind: "typed",
      code: error.code,
      field: error.field || null,
      status: response.status,
    });
  }
  csrfToken = body.csrfToken;
  return body;
}

export async function signOut() {
  await send("/auth/logout", { method: "POST", headers: { "X-CSRF-Token": csrfToken || "" } });
  csrfToken = null;
  await currentSession().catch(() => null); // the login page's other ways to sign in
}

/** Run a query or mutation; resolves to `data`, rejects with an ApiError. */
export async function gql(query, variables = {}) {
  const response = await send("/graphql", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRF-Token": csrfToken || "",
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await readJson(response);
  if (response.status === 401 || response.status === 403) {
    const message = body.errors?.[0]?.message || "Please sign in again.";
    throw new ApiError(message, { kind: "auth", status: response.status });
  }
  if (body.errors?.length) {
    const text = body.errors.map((e) => e.message).join("; ");
    const kind = /authentication required/i.test(text) ? "auth" : "error";
    throw new ApiError(text, { kind, status: response.status });
  }
  return body.data;
}

/**
 * A mutation whose payload is a union of a success type and typed errors (`... on Error`).
 * Resolves to the success object; rejects with an ApiError whose `field` names the input
 * field (ValidationError.field, e.g. "amount" or "items[2].percent").
 */
export async function mutate(query, variables) {
  const data = await gql(query, variables);
  const result = data.result;
  if (result && result.code) {
    const kind = result.code === "PERMISSION_DENIED" ? "denied" : "typed";
    throw new ApiError(result.message, { kind, code: result.code, field: result.field || null });
  }
  return result;
}

/** Map an ApiError to {fieldName: message} for a form (fields named as the API names them). */
export function fieldErrors(err, known) {
  if (!(err instanceof ApiError) || !err.field) return {};
  const field = err.field.replace(/^input\./, "");
  if (known.includes(field)) return { [field]: err.message };
  const head = field.split(/[.[]/)[0];
  return known.includes(head) ? { [head]: err.message } : {};
}

/** The fragment every mutation selects for its typed errors. */
export const ERROR_FIELDS = `... on Error { code message } ... on ValidationError { field }`;
