"""Pure domain: money, periods, pacing, forecasts, status bands, transfer rules. No I/O."""
