/** Top-level `slos:` is judged in a gate of its own, by this id (others may `needs: [slos]` it). */
export const SLO_GATE = 'slos';
export const SLO_GATE_TITLE = 'SLOs and error budgets';
