namespace ContinualTrainer.Engine.Blas;

/// <summary>
/// The reference triple loop for <see cref="IGemmProvider.Sgemm"/>: obviously correct, slow, used only by
/// tests to check the OpenBLAS and managed implementations. Accumulates in double.
/// </summary>
public static unsafe class NaiveGemm
{
    /// <summary>Computes <c>C = alpha * op(A) * op(B) + beta * C</c> (row-major; same contract as <see cref="Gemm.Sgemm"/>).</summary>
    public static void Sgemm(BlasTranspose transA, BlasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transA == BlasTranspose.None ? a[(long)i * lda + p] : a[(long)p * lda + i];
                    var bv = transB == BlasTranspose.None ? b[(long)p * ldb + j] : b[(long)j * ldb + p];
                    sum += (double)av * bv;
                }
                var prior = beta == 0f ? 0f : beta * c[(long)i * ldc + j];
                c[(long)i * ldc + j] = (float)(alpha * sum) + prior;
            }
        }
    }
}
