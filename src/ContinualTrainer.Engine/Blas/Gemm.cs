namespace ContinualTrainer.Engine.Blas;

/// <summary>
/// The engine's float32 matrix product, row-major BLAS semantics
/// (<c>C = alpha * op(A) * op(B) + beta * C</c>, op(A) (m, k), op(B) (k, n), C (m, n)).
/// Uses OpenBLAS when a library is found (see <see cref="OpenBlasGemm.Candidates"/>), else the managed
/// SIMD fallback; <c>CONTINUAL_TRAINER_BLAS=managed</c> forces the fallback. Arguments keep the CBLAS
/// order so call sites read like the BLAS they map onto.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Environment variable that selects the implementation: <c>managed</c> forces the fallback.</summary>
    public const string ProviderVariable = "CONTINUAL_TRAINER_BLAS";

    private static readonly IGemmProvider Implementation = Select();

    /// <summary>The implementation in use, e.g. "OpenBLAS 0.3.21 (pthread; ...) via /usr/lib/.../libopenblas.so.0".</summary>
    public static string Provider => Implementation.Description;

    /// <summary>True when the product runs on the managed fallback.</summary>
    public static bool IsManaged => Implementation is ManagedGemm;

    /// <summary>Threads one product may use.</summary>
    public static int Threads => Implementation.Threads;

    /// <summary>Sets the threads one product may use.</summary>
    public static void SetThreads(int threads) => Implementation.SetThreads(threads);

    /// <summary>
    /// <c>C = alpha * op(A) * op(B) + beta * C</c>. lda/ldb/ldc are the row strides of A, B, C as stored
    /// (at least the stored row length). With beta = 0, C is overwritten.
    /// </summary>
    public static void Sgemm(BlasTranspose transA, BlasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        Validate(transA, transB, m, n, k, lda, ldb, ldc);
        Implementation.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    internal static void Validate(BlasTranspose transA, BlasTranspose transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"sgemm: negative dimension (m={m}, n={n}, k={k})");
        var aCols = transA == BlasTranspose.None ? k : m;
        var bCols = transB == BlasTranspose.None ? n : k;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"sgemm: lda={lda} is less than the {aCols} columns of A");
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"sgemm: ldb={ldb} is less than the {bCols} columns of B");
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"sgemm: ldc={ldc} is less than the {n} columns of C");
    }

    private static IGemmProvider Select()
    {
        var forced = Environment.GetEnvironmentVariable(ProviderVariable);
        if (string.Equals(forced, "managed", StringComparison.OrdinalIgnoreCase)) return new ManagedGemm();
        return (IGemmProvider?)OpenBlasGemm.TryLoad() ?? new ManagedGemm();
    }
}
