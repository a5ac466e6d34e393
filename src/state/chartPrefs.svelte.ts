/** How every chart on the page is drawn: one smoothing weight, one log-scale switch for losses. */
export const chartPrefs = $state({ smoothing: 0.6, log: false });
