namespace ContinualTrainer.Engine.Blas;

/// <summary>
/// A float32 matrix-product implementation behind <see cref="Gemm"/>: OpenBLAS by P/Invoke, or the managed
/// SIMD fallback. Row-major BLAS semantics: <c>C = alpha * op(A) * op(B) + beta * C</c>, op(A) is (m, k),
/// op(B) is (k, n), C is (m, n); lda/ldb/ldc are the row strides of the stored matrices.
/// </summary>
public interface IGemmProvider
{
    /// <summary>One line naming the implementation, its version and where it was loaded from.</summary>
    string Description { get; }

    /// <summary>Threads one product may use.</summary>
    int Threads { get; }

    /// <summary>Sets the threads one product may use (at least 1).</summary>
    void SetThreads(int threads);

    /// <summary>Computes <c>C = alpha * op(A) * op(B) + beta * C</c>; with beta = 0, C is overwritten (NaNs included).</summary>
    unsafe void Sgemm(BlasTranspose transA, BlasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
