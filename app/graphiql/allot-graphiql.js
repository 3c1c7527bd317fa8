// Allot's GraphiQL page (served at GET /graphql). React, ReactDOM and GraphiQL are vendored in
// app/graphiql/vendor and served by Allot itself, so the page works offline and under a
// Content-Security-Policy of 'self': this file is its only script of our own (no inline one).
//
// It opens on one tab holding three example operations and an Authorization header to fill in.
// Until the placeholder is replaced, requests go out without it (anonymous): the schema still
// loads for the docs and completion, and fields that need someone say "authentication required".
(function () {
  "use strict";

  const PLACEHOLDER = "<paste your token>";
  const DEFAULT_HEADERS = JSON.stringify({ Authorization: `Bearer ${PLACEHOLDER}` }, null, 2);

  const EXAMPLES = `# Allot's GraphQL API. Requests act as the owner
# of an API token: in "Headers" below, replace
# ${PLACEHOLDER} with yours:
#     {"Authorization": "Bearer allot_…"}
# \`allot demo\` prints an admin token once;
# \`allot tokens create --email you@example.org\`
# makes another. GraphiQL keeps the headers in this
# browser's storage.
#
# Three operations below: ▶ asks which one to run.
# Their ids are the demo data's: use your own.

# Every budget you may see, with its allocations.
query Dashboard {
  budgets(first: 10) {
    nodes {
      id
      name
      currency
      amount
      allocated
      unallocated
      spent
      remaining
      percentUsed
      status
      dailyDrip
      forecast { burnRatePerDay projectedSpend exhaustionDate }
      allocations(first: 50) {
        nodes { id project { id name } amount spent remaining status runwayDays }
      }
    }
  }
}

# Record spend on a project (amounts are exact
# decimal strings). Run it twice: the same
# idempotencyKey records nothing twice.
mutation RecordSpend {
  recordSpend(input: {
    projectId: "prj_1"
    amount: "12.50"
    service: "aws-ec2"
    description: "GPU run from GraphiQL"
    idempotencyKey: "graphiql-example-1"
  }) {
    __typename
    ... on SpendRecorded { duplicate spend { id amount service occurredAt } }
    ... on Error { code message }
  }
}

# Ask to move money between two allocations: it
# applies at once for an owner of the budget, else
# it waits for one (status PENDING).
mutation RequestTransfer {
  requestTransfer(input: {
    fromAllocationId: "alc_3"
    toAllocationId: "alc_1"
    amount: "500"
    reason: "GPU time for the camera-ready runs"
  }) {
    __typename
    ... on TransferRequested {
      transfer { id status amount reason from { project { name } } to { project { name } } }
    }
    ... on Error { code message }
  }
}
`;

  // The one <style> GraphiQL makes at run time (its menus' scroll lock) takes the page's
  // nonce from this global, which the Content-Security-Policy then allows.
  window.__webpack_nonce__ = document.querySelector('meta[name="allot-style-nonce"]').content;

  const url = window.location.origin + window.location.pathname;
  const subscriptionUrl = url.replace(/^http/, "ws");
  const graphiqlFetcher = GraphiQL.createFetcher({ url, subscriptionUrl });

  /** The placeholder is no credential: leave it out rather than have it refused with 401. */
  function withoutPlaceholder(headers) {
    const kept = {};
    for (const [name, value] of Object.entries(headers || {})) {
      if (!(name.toLowerCase() === "authorization" && String(value).includes(PLACEHOLDER))) {
        kept[name] = value;
      }
    }
    return kept;
  }

  function fetcher(params, options) {
    const opts = options || {};
    return graphiqlFetcher(params, { ...opts, headers: withoutPlaceholder(opts.headers) });
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: [{ query: EXAMPLES, headers: DEFAULT_HEADERS }],
      defaultHeaders: DEFAULT_HEADERS,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    }),
  );
})();
