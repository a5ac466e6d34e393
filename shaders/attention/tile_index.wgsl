// The index setup every tiled pass (fwd, bwd_dq, bwd_dkdv) starts with: the piece programs.ts puts in
// its TILE_INDEX hole. This thread's row r of the tile, the (b, h) of the workgroup (workgroupId =
// (tile, h, b)), the sizes, where the rows of this (b, h) start, and the score scale. Query i
// (0..Tq-1) sits at key position past + i.

let r = i32(localId.x); // this thread's row of the tile: a query (fwd, dq) or a key (dkdv)
let b = i32(workgroupId.z);
let h = i32(workgroupId.y);
let nh = uniforms.qShape.y;
let Tq = uniforms.qShape.z;
let Tk = uniforms.kShape.z;
let past = Tk - Tq;
let bh = b * nh + h;
let qBase = bh * Tq * HS4; // the Q, dO and O rows of this (b, h), in vec4s
let kBase = bh * Tk * HS4; // the K and V rows
let scale = inverseSqrt(f32(HS));
