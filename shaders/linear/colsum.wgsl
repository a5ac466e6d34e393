// s (cols) = Σ over rows of X (rows, cols), the bias gradient: one thread per column, a plain loop
// (no barrier). Bindings: X; result s.

var s = 0.0;
for (var r = 0; r < uniforms.rows; r++) { s += X[r * uniforms.cols + index]; }
result[index] = s;
