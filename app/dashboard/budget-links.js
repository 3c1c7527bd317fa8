// The links a budget page shows under its title: its periods, and its open alerts' count.
import { BudgetAlertCount } from "./pages-alerts.js";
import { html, Link } from "./ui.js";

export function PeriodAlertLinks({ budget }) {
  return html`<nav class="period-alert-links" aria-label="More of this budget">
    <${Link} href=${`/budgets/${budget.id}/periods`} id="periods-link">Periods<//>
    <${BudgetAlertCount} budgetId=${budget.id} />
  </nav>`;
}
