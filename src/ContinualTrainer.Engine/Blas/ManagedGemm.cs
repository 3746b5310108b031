using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace ContinualTrainer.Engine.Blas;

/// <summary>
/// Pure C# float32 GEMM, used when no BLAS library is found or when <c>CONTINUAL_TRAINER_BLAS=managed</c>,
/// and by kernels that run many small products in parallel (attention tiles) on one thread each.
/// Goto-style: op(B) is packed into (KC, NR) column strips, op(A) into (MR, KC) row strips (alpha folded
/// in, transposes resolved by the packing), and a 6x16 Vector256 FMA micro-kernel accumulates each tile.
/// Large products are split over <see cref="Threads"/> threads along the larger of m and n.
/// </summary>
public sealed unsafe class ManagedGemm : IGemmProvider
{
    private const int MR = 6;
    private const int NR = 16;
    private const int KC = 256;
    private const int MC = 120;
    private const int NC = 3072;

    /// <summary>Products with fewer multiply-adds than this run on the calling thread only.</summary>
    private const long ParallelThreshold = 1L << 18;

    [ThreadStatic] private static float[]? packA;
    [ThreadStatic] private static float[]? packB;

    private int threads = Environment.ProcessorCount;

    public string Description =>
        $"managed SIMD fallback ({(Vector256.IsHardwareAccelerated ? "Vector256 FMA" : "software vectors")}, {threads} threads)";

    public int Threads => threads;

    public void SetThreads(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        threads = value;
    }

    public void Sgemm(BlasTranspose transA, BlasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (threads == 1 || (long)m * n * k < ParallelThreshold)
        {
            SgemmSingleThread(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        // Split the larger output dimension into one contiguous range per thread (whole micro-tiles each).
        var splitN = n >= m;
        var total = splitN ? n : m;
        var unit = splitN ? NR : MR;
        var chunk = (total + threads - 1) / threads;
        chunk = (chunk + unit - 1) / unit * unit;
        var parts = (total + chunk - 1) / chunk;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
        {
            var start = part * chunk;
            var length = Math.Min(chunk, total - start);
            if (splitN)
            {
                var bPart = transB == BlasTranspose.None ? b + start : b + (long)start * ldb;
                SgemmSingleThread(transA, transB, m, length, k, alpha, a, lda, bPart, ldb, beta, c + start, ldc);
            }
            else
            {
                var aPart = transA == BlasTranspose.None ? a + (long)start * lda : a + start;
                SgemmSingleThread(transA, transB, length, n, k, alpha, aPart, lda, b, ldb, beta, c + (long)start * ldc, ldc);
            }
        });
    }

    /// <summary>The same product computed entirely on the calling thread (safe to call from parallel workers).</summary>
    public static void SgemmSingleThread(BlasTranspose transA, BlasTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == 0f) return;

        packA ??= GC.AllocateUninitializedArray<float>(MC * KC, pinned: true);
        packB ??= GC.AllocateUninitializedArray<float>(KC * NC, pinned: true);
        fixed (float* ap = packA, bp = packB)
        {
            for (var jc = 0; jc < n; jc += NC)
            {
                var nc = Math.Min(NC, n - jc);
                for (var pc = 0; pc < k; pc += KC)
                {
                    var kc = Math.Min(KC, k - pc);
                    PackB(bp, transB, b, ldb, pc, jc, kc, nc);
                    for (var ic = 0; ic < m; ic += MC)
                    {
                        var mc = Math.Min(MC, m - ic);
                        PackA(ap, transA, a, lda, ic, pc, mc, kc, alpha);
                        for (var jr = 0; jr < nc; jr += NR)
                        {
                            var nr = Math.Min(NR, nc - jr);
                            var bStrip = bp + (long)jr * kc;
                            for (var ir = 0; ir < mc; ir += MR)
                            {
                                var mr = Math.Min(MR, mc - ir);
                                var aStrip = ap + (long)ir * kc;
                                var cTile = c + (long)(ic + ir) * ldc + jc + jr;
                                if (mr == MR && nr == NR) MicroKernel(kc, aStrip, bStrip, cTile, ldc);
                                else EdgeKernel(kc, aStrip, bStrip, cTile, ldc, mr, nr);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (var i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear();
            else TensorPrimitives.Multiply(row, beta, row);
        }
    }

    // dst strip s (columns jr..jr+NR of the panel) holds op(B)[pc + p, jc + jr + jj] at s*kc*NR + p*NR + jj, zero-padded.
    private static void PackB(float* dst, BlasTranspose transB, float* b, int ldb, int pc, int jc, int kc, int nc)
    {
        for (var jr = 0; jr < nc; jr += NR)
        {
            var nr = Math.Min(NR, nc - jr);
            var strip = dst + (long)jr * kc;
            if (transB == BlasTranspose.None)
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = b + (long)(pc + p) * ldb + jc + jr;
                    var d = strip + p * NR;
                    if (nr == NR)
                    {
                        Vector256.Store(Vector256.Load(src), d);
                        Vector256.Store(Vector256.Load(src + 8), d + 8);
                    }
                    else
                    {
                        for (var jj = 0; jj < nr; jj++) d[jj] = src[jj];
                        for (var jj = nr; jj < NR; jj++) d[jj] = 0f;
                    }
                }
            }
            else
            {
                for (var jj = 0; jj < NR; jj++)
                {
                    if (jj < nr)
                    {
                        var src = b + (long)(jc + jr + jj) * ldb + pc;
                        for (var p = 0; p < kc; p++) strip[p * NR + jj] = src[p];
                    }
                    else
                    {
                        for (var p = 0; p < kc; p++) strip[p * NR + jj] = 0f;
                    }
                }
            }
        }
    }

    // dst strip s (rows ir..ir+MR of the block) holds alpha * op(A)[ic + ir + ii, pc + p] at s*kc*MR + p*MR + ii, zero-padded.
    private static void PackA(float* dst, BlasTranspose transA, float* a, int lda, int ic, int pc, int mc, int kc, float alpha)
    {
        for (var ir = 0; ir < mc; ir += MR)
        {
            var mr = Math.Min(MR, mc - ir);
            var strip = dst + (long)ir * kc;
            if (transA == BlasTranspose.None)
            {
                for (var ii = 0; ii < MR; ii++)
                {
                    if (ii < mr)
                    {
                        var src = a + (long)(ic + ir + ii) * lda + pc;
                        for (var p = 0; p < kc; p++) strip[p * MR + ii] = alpha * src[p];
                    }
                    else
                    {
                        for (var p = 0; p < kc; p++) strip[p * MR + ii] = 0f;
                    }
                }
            }
            else
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = a + (long)(pc + p) * lda + ic + ir;
                    var d = strip + p * MR;
                    for (var ii = 0; ii < mr; ii++) d[ii] = alpha * src[ii];
                    for (var ii = mr; ii < MR; ii++) d[ii] = 0f;
                }
            }
        }
    }

    // C[0..6, 0..16] += Apack (6, kc) * Bpack (kc, 16)
    private static void MicroKernel(int kc, float* ap, float* bp, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var a = Vector256.Create(ap[0]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(ap[1]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(ap[2]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(ap[3]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(ap[4]);
            c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(ap[5]);
            c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
            ap += MR;
            bp += NR;
        }
        AddRow(c, c00, c01);
        AddRow(c + ldc, c10, c11);
        AddRow(c + 2L * ldc, c20, c21);
        AddRow(c + 3L * ldc, c30, c31);
        AddRow(c + 4L * ldc, c40, c41);
        AddRow(c + 5L * ldc, c50, c51);
    }

    private static void AddRow(float* c, Vector256<float> lo, Vector256<float> hi)
    {
        Vector256.Store(Vector256.Load(c) + lo, c);
        Vector256.Store(Vector256.Load(c + 8) + hi, c + 8);
    }

    // A partial tile (mr < 6 or nr < 16): full tile into a scratch block, then add its valid corner to C.
    private static void EdgeKernel(int kc, float* ap, float* bp, float* c, int ldc, int mr, int nr)
    {
        var tile = stackalloc float[MR * NR];
        new Span<float>(tile, MR * NR).Clear();
        MicroKernel(kc, ap, bp, tile, NR);
        for (var i = 0; i < mr; i++)
        {
            for (var j = 0; j < nr; j++) c[(long)i * ldc + j] += tile[i * NR + j];
        }
    }
}
