// AdamW's step counters, one thread: counter + ok, or counter + 1 − ok (hole ADD).
// Bindings: Counter (1), Coef (8); result (1).

result[0] = Counter[0] + {{ADD}};
