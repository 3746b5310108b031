using ContinualTrainer.Engine.Blas;

namespace ContinualTrainer.Engine.Tests.Blas;

public sealed unsafe class GemmTests
{
    public static TheoryData<BlasTranspose, BlasTranspose, int, int, int> OddShapes()
    {
        var data = new TheoryData<BlasTranspose, BlasTranspose, int, int, int>();
        (int M, int N, int K)[] shapes = [(1, 1, 1), (7, 13, 5), (6, 16, 256), (37, 53, 300), (130, 17, 9), (3, 3100, 7), (121, 40, 513)];
        foreach (var ta in new[] { BlasTranspose.None, BlasTranspose.Transpose })
        foreach (var tb in new[] { BlasTranspose.None, BlasTranspose.Transpose })
        foreach (var (m, n, k) in shapes)
            data.Add(ta, tb, m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void Managed_matches_naive_for_every_transpose(BlasTranspose ta, BlasTranspose tb, int m, int n, int k)
    {
        var managed = new ManagedGemm();
        managed.SetThreads(2);
        AssertMatchesNaive(managed, ta, tb, m, n, k, alpha: 0.75f, beta: 0.5f, pad: 3);
    }

    [Theory]
    [MemberData(nameof(OddShapes))]
    public void OpenBlas_matches_naive_for_every_transpose(BlasTranspose ta, BlasTranspose tb, int m, int n, int k)
    {
        AssertMatchesNaive(LoadOpenBlas(), ta, tb, m, n, k, alpha: 0.75f, beta: 0.5f, pad: 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Managed_splits_tall_and_wide_products_across_threads_exactly(int threads)
    {
        var managed = new ManagedGemm();
        managed.SetThreads(threads);
        AssertMatchesNaive(managed, BlasTranspose.None, BlasTranspose.Transpose, 301, 70, 64, alpha: 1f, beta: 0f, pad: 0);
        AssertMatchesNaive(managed, BlasTranspose.None, BlasTranspose.Transpose, 70, 301, 64, alpha: 1f, beta: 0f, pad: 0);
    }

    [Fact]
    public void Beta_zero_overwrites_nan_in_the_output()
    {
        foreach (IGemmProvider provider in new IGemmProvider[] { new ManagedGemm(), LoadOpenBlas() })
        {
            var a = new float[] { 1, 2, 3, 4 };   // (2, 2)
            var b = new float[] { 1, 0, 0, 1 };   // identity
            var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
            fixed (float* pa = a, pb = b, pc = c)
                provider.Sgemm(BlasTranspose.None, BlasTranspose.None, 2, 2, 2, 1f, pa, 2, pb, 2, 0f, pc, 2);
            Assert.Equal(a, c);
        }
    }

    [Fact]
    public void Rejects_a_leading_dimension_shorter_than_the_stored_row()
    {
        var buffer = new float[64];
        fixed (float* p = buffer)
        {
            var pointer = p;
            var error = Assert.Throws<ArgumentException>(() =>
                Gemm.Sgemm(BlasTranspose.None, BlasTranspose.Transpose, 2, 3, 4, 1f, pointer, 3, pointer, 4, 0f, pointer, 3));
            Assert.Contains("lda=3", error.Message);
        }
    }

    [Fact]
    public void Facade_names_the_implementation_in_use()
    {
        Assert.Matches(Gemm.IsManaged ? "^managed SIMD fallback" : "(OpenBLAS|CBLAS) .*via ", Gemm.Provider);
    }

    private static OpenBlasGemm LoadOpenBlas() =>
        OpenBlasGemm.TryLoad() ?? throw new InvalidOperationException(
            "no OpenBLAS/CBLAS library was found (install libopenblas0-pthread)");

    // Operands stored with `pad` extra columns per row so lda/ldb/ldc > the logical width are exercised.
    private static void AssertMatchesNaive(IGemmProvider provider, BlasTranspose ta, BlasTranspose tb,
        int m, int n, int k, float alpha, float beta, int pad)
    {
        var random = new Random(m * 1_000_003 + n * 1009 + k);
        var (aRows, aCols) = ta == BlasTranspose.None ? (m, k) : (k, m);
        var (bRows, bCols) = tb == BlasTranspose.None ? (k, n) : (n, k);
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = RandomArray(random, aRows * lda);
        var b = RandomArray(random, bRows * ldb);
        var c = RandomArray(random, m * ldc);
        var expected = (float[])c.Clone();
        fixed (float* pa = a, pb = b, pc = c, pe = expected)
        {
            provider.Sgemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            NaiveGemm.Sgemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pe, ldc);
        }
        for (var i = 0; i < m; i++)
        for (var j = 0; j < ldc; j++)
        {
            var tolerance = j < n ? 2e-5f * (k + 1) : 0f;  // padding columns must be left untouched
            var (got, want) = (c[i * ldc + j], expected[i * ldc + j]);
            Assert.True(Math.Abs(got - want) <= tolerance, $"C[{i},{j}] = {got}, naive {want} ({ta}/{tb}, m={m} n={n} k={k})");
        }
    }

    private static float[] RandomArray(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
