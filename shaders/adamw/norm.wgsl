// AdamW: the gradient norm out of the coefficients, as a scalar. Bindings: Coef (8); result (1).

result[0] = Coef[0];
