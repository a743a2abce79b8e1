// Hand-written register-tiled matmul, the peer Tessera's generated kernel is
// raced against: C[M,N] = A[M,K] * B[K,N], row-major f32. Each invocation
// computes a TM x TN block in registers from scalar loads (no shared memory:
// on lavapipe every buffer access is a per-lane loop, so loads per FMA is
// what counts); glslang builds it with -DTM=.. -DTN=.. for each tile the
// benchmark races. Same ABI as Tessera's kernels: binding 0 holds the sizes.
#version 450
#ifndef TM
#define TM 4
#endif
#ifndef TN
#define TN 4
#endif
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) readonly buffer Params { int p[]; };
layout(set = 0, binding = 1) readonly buffer A { float a[]; };
layout(set = 0, binding = 2) readonly buffer B { float b[]; };
layout(set = 0, binding = 3) writeonly buffer C { float c[]; };

void main() {
  int M = p[0], N = p[1], K = p[2];
  int m0 = int(gl_WorkGroupID.y) * 8 * TM + int(gl_LocalInvocationID.y) * TM;
  int n0 = int(gl_WorkGroupID.x) * 8 * TN + int(gl_LocalInvocationID.x) * TN;
  int rows[TM], cols[TN];
  for (int i = 0; i < TM; ++i)
    rows[i] = min(m0 + i, M - 1) * K;
  for (int j = 0; j < TN; ++j)
    cols[j] = min(n0 + j, N - 1);
  float acc[TM][TN];
  for (int i = 0; i < TM; ++i)
    for (int j = 0; j < TN; ++j)
      acc[i][j] = 0.0;
  for (int k = 0; k < K; ++k) {
    float av[TM], bv[TN];
    for (int i = 0; i < TM; ++i)
      av[i] = a[rows[i] + k];
    for (int j = 0; j < TN; ++j)
      bv[j] = b[k * N + cols[j]];
    for (int i = 0; i < TM; ++i)
      for (int j = 0; j < TN; ++j)
        acc[i][j] += av[i] * bv[j];
  }
  for (int i = 0; i < TM; ++i)
    for (int j = 0; j < TN; ++j)
      if (m0 + i < M && n0 + j < N)
        c[(m0 + i) * N + n0 + j] = acc[i][j];
}
