/*
 * frugal_blas: a small Node-API addon over OpenBLAS/LAPACK for dense float32 linear algebra.
 *
 * All matrices cross the boundary as row-major Float32Array with explicit shapes. LAPACK is
 * column-major, so the wrappers use the identity "a row-major m×n matrix is the column-major
 * n×m matrix Aᵀ" wherever that avoids a copy:
 *   - sgemm: cblas_sgemm with CblasRowMajor (no copies).
 *   - svd:   sgesdd (JOBZ='S') on Aᵀ: Aᵀ = U' S V'ᵀ gives A = V' S U'ᵀ, and the column-major
 *            buffers of V'ᵀ and U' are exactly the row-major buffers of U (m×k) and Vᵀ (k×n).
 *   - qr:    sgeqrf + sorgqr on a column-major copy of A (a blocked transpose), thin Q (m×k), R (k×n).
 * Functions:
 *   sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) -> undefined (C updated)
 *   sgesdd(m, n, A) -> { U: Float32Array(m*k), S: Float32Array(k), Vt: Float32Array(k*n) }
 *   qr(m, n, A) -> { Q: Float32Array(m*k), R: Float32Array(k*n) }
 *   ssyrk(trans, N, K, alpha, A, beta, C) -> undefined: C (N×N) ← alpha·op(A)ᵀop(A)-style Gram + beta·C,
 *            where trans=true means C = alpha·AᵀA (A is K×N) and trans=false C = alpha·AAᵀ (A is N×K);
 *            cblas_ssyrk fills the upper triangle, which is then mirrored so C is a full symmetric matrix.
 *   ssyevd(n, A) -> { W: Float32Array(n) ascending, V: Float32Array(n*n) }: symmetric eigendecomposition
 *            (LAPACK divide and conquer). A symmetric matrix is its own transpose, so the row-major buffer
 *            is passed as is; the eigenvectors come back column-major, i.e. row i of V (row-major) is
 *            the eigenvector of W[i].
 *   setThreads(n), getThreads() -> number, config() -> string
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

/* LAPACK (Fortran ABI, 32-bit integers; gfortran appends hidden lengths for CHARACTER args). */
extern void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s, float *u,
                    const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork, int *iwork,
                    int *info, size_t jobz_len);
extern void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work,
                    const int *lwork, int *info);
extern void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
                    float *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_len,
                    size_t uplo_len);
extern void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau,
                    float *work, const int *lwork, int *info);

#define CHECK(call)                                                              \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      napi_throw_error(env, "FRUGAL_NAPI", "frugal_blas: Node-API call failed"); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)data, &ab, &off) != napi_ok) return 0;
  return type == napi_float32_array;
}

static int get_i(napi_env env, napi_value v, int64_t *out) { return napi_get_value_int64(env, v, out) == napi_ok; }

static napi_value new_f32(napi_env env, size_t n, float **data) {
  napi_value ab, ta;
  void *raw;
  if (napi_create_arraybuffer(env, n * sizeof(float), &raw, &ab) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_float32_array, n, ab, 0, &ta) != napi_ok) return NULL;
  *data = (float *)raw;
  return ta;
}

static napi_value throw_msg(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

/* Blocked transpose: dst (cols×rows, row-major) = src (rows×cols, row-major)ᵀ. */
static void transpose(const float *src, float *dst, int64_t rows, int64_t cols) {
  const int64_t B = 64;
  for (int64_t i0 = 0; i0 < rows; i0 += B)
    for (int64_t j0 = 0; j0 < cols; j0 += B) {
      int64_t i1 = i0 + B < rows ? i0 + B : rows, j1 = j0 + B < cols ? j0 + B : cols;
      for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) dst[j * rows + i] = src[i * cols + j];
    }
}

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value a[13];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 13) return throw_msg(env, "FRUGAL_ARGS", "sgemm: expected 13 arguments");
  bool ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
  float *A, *B, *C;
  size_t la, lb, lc;
  if (napi_get_value_bool(env, a[0], &ta) != napi_ok || napi_get_value_bool(env, a[1], &tb) != napi_ok ||
      !get_i(env, a[2], &M) || !get_i(env, a[3], &N) || !get_i(env, a[4], &K) ||
      napi_get_value_double(env, a[5], &alpha) != napi_ok || !get_f32(env, a[6], &A, &la) ||
      !get_i(env, a[7], &lda) || !get_f32(env, a[8], &B, &lb) || !get_i(env, a[9], &ldb) ||
      napi_get_value_double(env, a[10], &beta) != napi_ok || !get_f32(env, a[11], &C, &lc) ||
      !get_i(env, a[12], &ldc))
    return throw_msg(env, "FRUGAL_ARGS", "sgemm: bad argument types");
  if (M < 0 || N < 0 || K < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX)
    return throw_msg(env, "FRUGAL_ARGS", "sgemm: dimensions out of range");
  /* Bounds: row-major op(A) is M×K; stored A is (ta ? K×M : M×K) with leading dimension lda. */
  int64_t arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
  if ((arows > 0 && (lda < acols || (size_t)((arows - 1) * lda + acols) > la)) ||
      (brows > 0 && (ldb < bcols || (size_t)((brows - 1) * ldb + bcols) > lb)) ||
      (M > 0 && (ldc < N || (size_t)((M - 1) * ldc + N) > lc)))
    return throw_msg(env, "FRUGAL_ARGS", "sgemm: array too small for the given shape");
  if (M == 0 || N == 0) return NULL;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
              (int)K, (float)alpha, A, (int)(lda > 0 ? lda : 1), B, (int)(ldb > 0 ? ldb : 1), (float)beta, C,
              (int)ldc);
  return NULL;
}

static napi_value Sgesdd(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int64_t m, n;
  float *A;
  size_t la;
  if (argc != 3 || !get_i(env, a[0], &m) || !get_i(env, a[1], &n) || !get_f32(env, a[2], &A, &la))
    return throw_msg(env, "FRUGAL_ARGS", "sgesdd(m, n, A): bad arguments");
  if (m <= 0 || n <= 0 || m > INT32_MAX || n > INT32_MAX || (size_t)(m * n) > la)
    return throw_msg(env, "FRUGAL_ARGS", "sgesdd: bad shape");
  int64_t k = m < n ? m : n;
  /* Work on Aᵀ viewed column-major: rows = n, cols = m. */
  int cm = (int)n, cn = (int)m, ck = (int)k, lda = (int)n, ldu = (int)n, ldvt = (int)k, info_ = 0;
  float *work_a = (float *)malloc(sizeof(float) * (size_t)(m * n));
  int *iwork = (int *)malloc(sizeof(int) * 8 * (size_t)k);
  if (!work_a || !iwork) {
    free(work_a);
    free(iwork);
    return throw_msg(env, "FRUGAL_NOMEM", "sgesdd: out of memory");
  }
  memcpy(work_a, A, sizeof(float) * (size_t)(m * n));
  float *U, *S, *Vt;
  napi_value jU = new_f32(env, (size_t)(m * k), &U); /* = VT' (k×m col-major) */
  napi_value jS = new_f32(env, (size_t)k, &S);
  napi_value jVt = new_f32(env, (size_t)(k * n), &Vt); /* = U' (n×k col-major) */
  if (!jU || !jS || !jVt) {
    free(work_a);
    free(iwork);
    return throw_msg(env, "FRUGAL_NOMEM", "sgesdd: cannot allocate outputs");
  }
  float wq;
  int lwork = -1;
  sgesdd_("S", &cm, &cn, work_a, &lda, S, Vt, &ldu, U, &ldvt, &wq, &lwork, iwork, &info_, 1);
  lwork = (int)wq + 1;
  float *work = (float *)malloc(sizeof(float) * (size_t)lwork);
  if (!work) {
    free(work_a);
    free(iwork);
    return throw_msg(env, "FRUGAL_NOMEM", "sgesdd: out of memory for workspace");
  }
  sgesdd_("S", &cm, &cn, work_a, &lda, S, Vt, &ldu, U, &ldvt, work, &lwork, iwork, &info_, 1);
  free(work);
  free(work_a);
  free(iwork);
  if (info_ > 0) return throw_msg(env, "FRUGAL_NOCONV", "sgesdd: the SVD did not converge");
  if (info_ < 0) return throw_msg(env, "FRUGAL_ARGS", "sgesdd: illegal argument");
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "U", jU));
  CHECK(napi_set_named_property(env, out, "S", jS));
  CHECK(napi_set_named_property(env, out, "Vt", jVt));
  return out;
}

static napi_value Qr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int64_t m, n;
  float *A;
  size_t la;
  if (argc != 3 || !get_i(env, a[0], &m) || !get_i(env, a[1], &n) || !get_f32(env, a[2], &A, &la))
    return throw_msg(env, "FRUGAL_ARGS", "qr(m, n, A): bad arguments");
  if (m <= 0 || n <= 0 || m > INT32_MAX || n > INT32_MAX || (size_t)(m * n) > la)
    return throw_msg(env, "FRUGAL_ARGS", "qr: bad shape");
  int64_t k = m < n ? m : n;
  float *W = (float *)malloc(sizeof(float) * (size_t)(m * n)); /* column-major m×n, lda = m */
  float *tau = (float *)malloc(sizeof(float) * (size_t)k);
  if (!W || !tau) {
    free(W);
    free(tau);
    return throw_msg(env, "FRUGAL_NOMEM", "qr: out of memory");
  }
  transpose(A, W, m, n);
  int im = (int)m, in = (int)n, ik = (int)k, lda = (int)m, info_ = 0, lwork = -1;
  float wq1, wq2;
  sgeqrf_(&im, &in, W, &lda, tau, &wq1, &lwork, &info_);
  sorgqr_(&im, &ik, &ik, W, &lda, tau, &wq2, &lwork, &info_);
  lwork = (int)(wq1 > wq2 ? wq1 : wq2) + 1;
  float *work = (float *)malloc(sizeof(float) * (size_t)lwork);
  if (!work) {
    free(W);
    free(tau);
    return throw_msg(env, "FRUGAL_NOMEM", "qr: out of memory for workspace");
  }
  sgeqrf_(&im, &in, W, &lda, tau, work, &lwork, &info_);
  float *R, *Q;
  napi_value jR = new_f32(env, (size_t)(k * n), &R);
  napi_value jQ = new_f32(env, (size_t)(m * k), &Q);
  if (!jR || !jQ || info_ != 0) {
    free(W);
    free(tau);
    free(work);
    return throw_msg(env, "FRUGAL_LAPACK", "qr: sgeqrf failed or outputs not allocated");
  }
  /* R (k×n row-major, upper trapezoidal) from the upper triangle of W. */
  for (int64_t i = 0; i < k; i++)
    for (int64_t j = 0; j < n; j++) R[i * n + j] = j >= i ? W[i + j * m] : 0.0f;
  sorgqr_(&im, &ik, &ik, W, &lda, tau, work, &lwork, &info_);
  free(work);
  free(tau);
  if (info_ != 0) {
    free(W);
    return throw_msg(env, "FRUGAL_LAPACK", "qr: sorgqr failed");
  }
  /* Q: the first k columns of W (column-major m×k) = row-major k×m; transpose to row-major m×k. */
  transpose(W, Q, k, m);
  free(W);
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "Q", jQ));
  CHECK(napi_set_named_property(env, out, "R", jR));
  return out;
}

static napi_value Ssyrk(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  bool trans;
  int64_t N, K;
  double alpha, beta;
  float *A, *C;
  size_t la, lc;
  if (argc != 7 || napi_get_value_bool(env, a[0], &trans) != napi_ok || !get_i(env, a[1], &N) ||
      !get_i(env, a[2], &K) || napi_get_value_double(env, a[3], &alpha) != napi_ok || !get_f32(env, a[4], &A, &la) ||
      napi_get_value_double(env, a[5], &beta) != napi_ok || !get_f32(env, a[6], &C, &lc))
    return throw_msg(env, "FRUGAL_ARGS", "ssyrk(trans, N, K, alpha, A, beta, C): bad arguments");
  if (N <= 0 || K < 0 || N > INT32_MAX || K > INT32_MAX || (size_t)(N * K) > la || (size_t)(N * N) > lc)
    return throw_msg(env, "FRUGAL_ARGS", "ssyrk: bad shape");
  if (K > 0)
    cblas_ssyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, (int)N, (int)K, (float)alpha, A,
                (int)(trans ? N : K), (float)beta, C, (int)N);
  else
    for (int64_t i = 0; i < N * N; i++) C[i] = (float)beta * C[i];
  /* Mirror the upper triangle (row-major: j > i) into the lower one. */
  for (int64_t i = 0; i < N; i++)
    for (int64_t j = i + 1; j < N; j++) C[j * N + i] = C[i * N + j];
  return NULL;
}

static napi_value Ssyevd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int64_t n;
  float *A;
  size_t la;
  if (argc != 2 || !get_i(env, a[0], &n) || !get_f32(env, a[1], &A, &la))
    return throw_msg(env, "FRUGAL_ARGS", "ssyevd(n, A): bad arguments");
  if (n <= 0 || n > 46340 || (size_t)(n * n) > la) return throw_msg(env, "FRUGAL_ARGS", "ssyevd: bad shape");
  float *V, *W;
  napi_value jV = new_f32(env, (size_t)(n * n), &V);
  napi_value jW = new_f32(env, (size_t)n, &W);
  if (!jV || !jW) return throw_msg(env, "FRUGAL_NOMEM", "ssyevd: cannot allocate outputs");
  memcpy(V, A, sizeof(float) * (size_t)(n * n));
  int in = (int)n, lda = (int)n, info_ = 0, lwork = -1, liwork = -1, iwq = 0;
  float wq = 0;
  ssyevd_("V", "L", &in, V, &lda, W, &wq, &lwork, &iwq, &liwork, &info_, 1, 1);
  lwork = (int)wq + 1;
  liwork = iwq + 1;
  float *work = (float *)malloc(sizeof(float) * (size_t)lwork);
  int *iwork = (int *)malloc(sizeof(int) * (size_t)liwork);
  if (!work || !iwork) {
    free(work);
    free(iwork);
    return throw_msg(env, "FRUGAL_NOMEM", "ssyevd: out of memory for workspace");
  }
  ssyevd_("V", "L", &in, V, &lda, W, work, &lwork, iwork, &liwork, &info_, 1, 1);
  free(work);
  free(iwork);
  if (info_ > 0) return throw_msg(env, "FRUGAL_NOCONV", "ssyevd: the eigensolver did not converge");
  if (info_ < 0) return throw_msg(env, "FRUGAL_ARGS", "ssyevd: illegal argument");
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "W", jW));
  CHECK(napi_set_named_property(env, out, "V", jV));
  return out;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int64_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 1 || !get_i(env, a[0], &n) || n < 1 || n > 1024)
    return throw_msg(env, "FRUGAL_ARGS", "setThreads(n): n must be an integer in 1..1024");
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value Config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  const char *c = openblas_get_config();
  CHECK(napi_create_string_utf8(env, c ? c : "", NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"sgesdd", NULL, Sgesdd, NULL, NULL, NULL, napi_default, NULL},
      {"qr", NULL, Qr, NULL, NULL, NULL, napi_default, NULL},
      {"ssyrk", NULL, Ssyrk, NULL, NULL, NULL, napi_default, NULL},
      {"ssyevd", NULL, Ssyevd, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, Config, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
