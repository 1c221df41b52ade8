// Severities, most severe first: one order for the engine's ranking, the exports and the views
// (a module of its own so that the engine does not load the schema's validator to sort).
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** 0 for critical */
export const SEVERITY_RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;
