using System.Numerics.Tensors;
using ContinualTrainer.Engine.Blas;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Grouped-query causal self-attention over a key/value store that may hold a prefix (a frozen context
/// or a KV cache). Row b's query t sits at position starts[b] + t and attends keys 0..starts[b] + t of
/// the store; query head h reads kv head h / (NH / KVH). Scores are scaled by 1/sqrt(hd), softmax is
/// float32. Work is cut into tiles of (row, kv head, block of at most <see cref="QueryBlock"/> positions,
/// the blocks of a row balanced in size), each
/// holding the queries of every head that shares the kv head, spread over threads; a tile is two
/// single-threaded products (Q K^T, then P V) through a per-worker scratch, so keys and values are
/// packed once per group and the full (T, S) score matrix never exists. The log-sum-exp of every
/// query's scores is kept so the backward pass can rebuild the probabilities. Queries past a row's
/// length get zeros.
/// <para>
/// The backward works flash-attention style on tiles of (row, kv head), one thread each, walking the query
/// blocks in order: it rebuilds P = exp(Q K^T / sqrt(hd) - lse), then dP = dO V^T, dS = P * (dP - rowsum(dO * O)),
/// dQ = dS K / sqrt(hd), and accumulates dK += dS^T Q / sqrt(hd) and dV += P^T dO over the heads of the group
/// and the query blocks. Only a row's own keys (store positions starts[b] .. starts[b] + len - 1) get
/// gradients: the prefix in the store (a frozen context) is a constant. No sum depends on thread scheduling.
/// </para>
/// </summary>
public static unsafe class Attention
{
    /// <summary>Query positions per tile.</summary>
    public const int QueryBlock = 64;

    /// <summary>
    /// Scratch floats one worker needs: the tile's queries and outputs, (QueryBlock * group, hd) each, and its
    /// scores, (QueryBlock * group, keyCapacity), where group = heads / kvHeads.
    /// </summary>
    public static long ScratchFloatsPerWorker(int keyCapacity, int heads, int kvHeads, int headDim) =>
        (long)QueryBlock * (heads / kvHeads) * (keyCapacity + 2L * headDim);

    public static void Forward(
        float* outp,                // (B, T, NH, hd)
        float* lse,                 // (B, NH, T)
        float* q,                   // (B, T, NH, hd)
        float* k,                   // (B, S, KVH, hd)
        float* v,                   // (B, S, KVH, hd)
        ReadOnlySpan<int> starts,   // (B) keys in the store before row b's first query
        ReadOnlySpan<int> lengths,  // (B) valid queries of row b
        float* scratch,             // (workers, ScratchFloatsPerWorker)
        int workers,
        int batch, int t, int s, int heads, int kvHeads, int headDim)
    {
        Check(starts, lengths, batch, t, s, heads, kvHeads);
        ZeroPadding(outp, lse, lengths, batch, t, heads, headDim);
        var blocks = (t + QueryBlock - 1) / QueryBlock;
        var blockSize = (t + blocks - 1) / blocks;                          // balanced: 65 queries are 33 + 32, not 64 + 1
        var tiles = batch * kvHeads * blocks;
        var perWorker = ScratchFloatsPerWorker(s, heads, kvHeads, headDim);
        var next = -1;
        fixed (int* startPointer = starts, lengthPointer = lengths)
        {
            int* st = startPointer, ln = lengthPointer;
            Parallelism.ForWorkers(Math.Min(workers, Parallelism.Threads), worker =>
            {
                var workspace = scratch + worker * perWorker;
                int tile;
                while ((tile = Interlocked.Increment(ref next)) < tiles)
                {
                    // The latest (longest) query blocks first, so the loop ends on short tiles.
                    var block = blocks - 1 - tile / (batch * kvHeads);
                    var (b, kvHead) = (tile % (batch * kvHeads) / kvHeads, tile % kvHeads);
                    var t0 = block * blockSize;
                    if (t0 >= ln[b]) continue;
                    Tile(outp, lse, q, k, v, workspace, b, kvHead, t0, Math.Min(blockSize, ln[b] - t0), st[b], t, s, heads, kvHeads, headDim);
                }
            });
        }
    }

    /// <summary>
    /// Scratch floats one worker needs for the backward: the tile's queries, output gradients and query
    /// gradients, (QueryBlock * group, hd) each, and its probabilities and their gradients, (QueryBlock * group,
    /// keyCapacity) each.
    /// </summary>
    public static long BackwardScratchFloatsPerWorker(int keyCapacity, int heads, int kvHeads, int headDim) =>
        (long)QueryBlock * (heads / kvHeads) * (2L * keyCapacity + 3L * headDim);

    public static void Backward(
        float* dq,                  // (B, T, NH, hd) written
        float* dk,                  // (B, T, KVH, hd) written: row b's own keys, store positions starts[b] + t
        float* dv,                  // (B, T, KVH, hd) written
        float* dout,                // (B, T, NH, hd)
        float* q,                   // (B, T, NH, hd)
        float* k,                   // (B, S, KVH, hd)
        float* v,                   // (B, S, KVH, hd)
        float* outp,                // (B, T, NH, hd) the forward output
        float* lse,                 // (B, NH, T) the forward log-sum-exp
        ReadOnlySpan<int> starts,   // (B)
        ReadOnlySpan<int> lengths,  // (B)
        float* scratch,             // (workers, BackwardScratchFloatsPerWorker)
        int workers,
        int batch, int t, int s, int heads, int kvHeads, int headDim)
    {
        Check(starts, lengths, batch, t, s, heads, kvHeads);
        new Span<float>(dk, checked(batch * t * kvHeads * headDim)).Clear();
        new Span<float>(dv, checked(batch * t * kvHeads * headDim)).Clear();
        for (var b = 0; b < batch; b++)
            new Span<float>(dq + ((long)b * t + lengths[b]) * heads * headDim, (t - lengths[b]) * heads * headDim).Clear();
        var tiles = batch * kvHeads;
        var perWorker = BackwardScratchFloatsPerWorker(s, heads, kvHeads, headDim);
        var next = -1;
        fixed (int* startPointer = starts, lengthPointer = lengths)
        {
            int* st = startPointer, ln = lengthPointer;
            Parallelism.ForWorkers(Math.Min(workers, Parallelism.Threads), worker =>
            {
                var workspace = scratch + worker * perWorker;
                int tile;
                while ((tile = Interlocked.Increment(ref next)) < tiles)
                {
                    var (b, kvHead) = (tile / kvHeads, tile % kvHeads);
                    BackwardTile(dq, dk, dv, dout, q, k, v, outp, lse, workspace, b, kvHead, ln[b], st[b], t, s, heads, kvHeads, headDim);
                }
            });
        }
    }

    /// <summary>The reference backward: one query at a time, probabilities and sums in double.</summary>
    public static void BackwardNaive(float* dq, float* dk, float* dv, float* dout, float* q, float* k, float* v, float* outp, float* lse,
        ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, int batch, int t, int s, int heads, int kvHeads, int headDim)
    {
        Check(starts, lengths, batch, t, s, heads, kvHeads);
        var group = heads / kvHeads;
        var scale = 1 / Math.Sqrt(headDim);
        var dkSum = new double[batch * t * kvHeads * headDim];
        var dvSum = new double[dkSum.Length];
        var p = new double[s];
        new Span<float>(dq, batch * t * heads * headDim).Clear();
        for (var b = 0; b < batch; b++)
        for (var h = 0; h < heads; h++)
        for (var i = 0; i < lengths[b]; i++)
        {
            var at = ((long)b * t + i) * heads + h;
            var visible = starts[b] + i + 1;
            double delta = 0;
            for (var c = 0; c < headDim; c++) delta += (double)dout[at * headDim + c] * outp[at * headDim + c];
            for (var j = 0; j < visible; j++)
            {
                var key = ((long)b * s + j) * kvHeads + h / group;
                double score = 0, dp = 0;
                for (var c = 0; c < headDim; c++)
                {
                    score += (double)q[at * headDim + c] * k[key * headDim + c];
                    dp += (double)dout[at * headDim + c] * v[key * headDim + c];
                }
                p[j] = Math.Exp(score * scale - lse[((long)b * heads + h) * t + i]);
                var ds = p[j] * (dp - delta);
                var own = j - starts[b];
                for (var c = 0; c < headDim; c++)
                {
                    dq[at * headDim + c] += (float)(ds * k[key * headDim + c] * scale);
                    if (own < 0) continue;
                    var ownKey = (((long)b * t + own) * kvHeads + h / group) * headDim + c;
                    dkSum[ownKey] += ds * q[at * headDim + c] * scale;
                    dvSum[ownKey] += p[j] * dout[at * headDim + c];
                }
            }
        }
        for (var i = 0; i < dkSum.Length; i++)
        {
            dk[i] = (float)dkSum[i];
            dv[i] = (float)dvSum[i];
        }
    }

    // The (row b, kv head) tile of the backward: query blocks of QueryBlock positions in order; tile row r*group + g
    // is position t0 + r of head kvHead*group + g. dK and dV of the row's own keys accumulate across blocks.
    private static void BackwardTile(float* dq, float* dk, float* dv, float* dout, float* q, float* k, float* v, float* outp, float* lse,
        float* workspace, int b, int kvHead, int length, int start, int t, int s, int heads, int kvHeads, int headDim)
    {
        var group = heads / kvHeads;
        var scale = 1f / MathF.Sqrt(headDim);
        var kvStride = kvHeads * headDim;
        var kRows = k + ((long)b * s * kvHeads + kvHead) * headDim;         // (keys, hd), row stride KVH*hd
        var vRows = v + ((long)b * s * kvHeads + kvHead) * headDim;         // (keys, hd), row stride KVH*hd
        var dkRows = dk + ((long)b * t * kvHeads + kvHead) * headDim;       // (len, hd), row stride KVH*hd
        var dvRows = dv + ((long)b * t * kvHeads + kvHead) * headDim;       // (len, hd), row stride KVH*hd
        var block = (long)QueryBlock * group;
        var qTile = workspace;                                              // (m, hd)
        var doTile = qTile + block * headDim;                               // (m, hd)
        var dqTile = doTile + block * headDim;                              // (m, hd)
        var probs = dqTile + block * headDim;                               // (m, keys)
        var dprobs = probs + block * s;                                     // (m, keys)
        var deltas = stackalloc float[(int)block];
        if (length == 0) return;
        var blocks = (length + QueryBlock - 1) / QueryBlock;
        var blockSize = (length + blocks - 1) / blocks;                     // balanced blocks of at most QueryBlock

        for (var t0 = 0; t0 < length; t0 += blockSize)
        {
            var rows = Math.Min(blockSize, length - t0);
            var m = rows * group;
            var keys = start + t0 + rows;                                   // keys visible to the block's last query
            for (var r = 0; r < rows; r++)
            {
                var at = (((long)b * t + t0 + r) * heads + kvHead * group) * headDim;
                new ReadOnlySpan<float>(q + at, group * headDim).CopyTo(new Span<float>(qTile + (long)r * group * headDim, group * headDim));
                new ReadOnlySpan<float>(dout + at, group * headDim).CopyTo(new Span<float>(doTile + (long)r * group * headDim, group * headDim));
                for (var g = 0; g < group; g++)
                {
                    deltas[r * group + g] = TensorPrimitives.Dot(new ReadOnlySpan<float>(dout + at + g * headDim, headDim),
                        new ReadOnlySpan<float>(outp + at + g * headDim, headDim));
                }
            }

            // P (m, keys) = exp(Q K^T / sqrt(hd) - lse), zero past each query's causal limit
            ManagedGemm.SgemmSingleThread(BlasTranspose.None, BlasTranspose.Transpose, m, keys, headDim,
                scale, qTile, headDim, kRows, kvStride, 0f, probs, keys);
            // dP (m, keys) = dO V^T
            ManagedGemm.SgemmSingleThread(BlasTranspose.None, BlasTranspose.Transpose, m, keys, headDim,
                1f, doTile, headDim, vRows, kvStride, 0f, dprobs, keys);
            for (var i = 0; i < m; i++)
            {
                var (r, h) = (i / group, kvHead * group + i % group);
                var visible = start + t0 + r + 1;
                var p = probs + (long)i * keys;
                var dp = dprobs + (long)i * keys;
                VectorMath.ScaledExp(p, p, visible, lse[((long)b * heads + h) * t + t0 + r], 1f);
                new Span<float>(p + visible, keys - visible).Clear();
                // dS = P * (dP - delta), written over dP
                var pSpan = new ReadOnlySpan<float>(p, keys);
                var dpSpan = new Span<float>(dp, keys);
                TensorPrimitives.Subtract(dpSpan, deltas[i], dpSpan);
                TensorPrimitives.Multiply(dpSpan, pSpan, dpSpan);
            }

            // dQ (m, hd) = dS K / sqrt(hd)
            ManagedGemm.SgemmSingleThread(BlasTranspose.None, BlasTranspose.None, m, headDim, keys,
                scale, dprobs, keys, kRows, kvStride, 0f, dqTile, headDim);
            for (var r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(dqTile + (long)r * group * headDim, group * headDim)
                    .CopyTo(new Span<float>(dq + (((long)b * t + t0 + r) * heads + kvHead * group) * headDim, group * headDim));
            }
            // own keys j = start .. keys-1: dK += dS^T Q / sqrt(hd), dV += P^T dO
            var own = keys - start;
            ManagedGemm.SgemmSingleThread(BlasTranspose.Transpose, BlasTranspose.None, own, headDim, m,
                scale, dprobs + start, keys, qTile, headDim, 1f, dkRows, kvStride);
            ManagedGemm.SgemmSingleThread(BlasTranspose.Transpose, BlasTranspose.None, own, headDim, m,
                1f, probs + start, keys, doTile, headDim, 1f, dvRows, kvStride);
        }
    }

    /// <summary>The reference: one query at a time, scores in double, every key looked at.</summary>
    public static void ForwardNaive(float* outp, float* lse, float* q, float* k, float* v,
        ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, int batch, int t, int s, int heads, int kvHeads, int headDim)
    {
        Check(starts, lengths, batch, t, s, heads, kvHeads);
        ZeroPadding(outp, lse, lengths, batch, t, heads, headDim);
        var group = heads / kvHeads;
        var weights = new double[s];
        for (var b = 0; b < batch; b++)
        for (var h = 0; h < heads; h++)
        for (var i = 0; i < lengths[b]; i++)
        {
            var qi = q + (((long)b * t + i) * heads + h) * headDim;
            var visible = starts[b] + i + 1;
            var max = double.NegativeInfinity;
            for (var j = 0; j < visible; j++)
            {
                var kj = k + (((long)b * s + j) * kvHeads + h / group) * headDim;
                double dot = 0;
                for (var c = 0; c < headDim; c++) dot += (double)qi[c] * kj[c];
                weights[j] = dot / Math.Sqrt(headDim);
                max = Math.Max(max, weights[j]);
            }
            double sum = 0;
            for (var j = 0; j < visible; j++) sum += weights[j] = Math.Exp(weights[j] - max);
            var yi = outp + (((long)b * t + i) * heads + h) * headDim;
            for (var c = 0; c < headDim; c++)
            {
                double acc = 0;
                for (var j = 0; j < visible; j++) acc += weights[j] * v[(((long)b * s + j) * kvHeads + h / group) * headDim + c];
                yi[c] = (float)(acc / sum);
            }
            lse[((long)b * heads + h) * t + i] = (float)(max + Math.Log(sum));
        }
    }

    // Queries t0..t0+rows-1 of row b, for the `group` heads reading kv head `kvHead`: tile row r*group + g is
    // position t0 + r of head kvHead*group + g.
    private static void Tile(float* outp, float* lse, float* q, float* k, float* v, float* workspace,
        int b, int kvHead, int t0, int rows, int start, int t, int s, int heads, int kvHeads, int headDim)
    {
        var group = heads / kvHeads;
        var m = rows * group;
        var keys = start + t0 + rows;                                       // keys visible to the tile's last query
        var kRows = k + ((long)b * s * kvHeads + kvHead) * headDim;         // (keys, hd), row stride KVH*hd
        var vRows = v + ((long)b * s * kvHeads + kvHead) * headDim;         // (keys, hd), row stride KVH*hd
        var qTile = workspace;                                              // (m, hd)
        var oTile = qTile + (long)QueryBlock * group * headDim;             // (m, hd)
        var scores = oTile + (long)QueryBlock * group * headDim;            // (m, keys)

        // The group's heads are adjacent in each position's row: one contiguous copy per position.
        for (var r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(q + (((long)b * t + t0 + r) * heads + kvHead * group) * headDim, group * headDim)
                .CopyTo(new Span<float>(qTile + (long)r * group * headDim, group * headDim));
        }

        // scores (m, keys) = Q K^T / sqrt(hd)
        ManagedGemm.SgemmSingleThread(BlasTranspose.None, BlasTranspose.Transpose, m, keys, headDim,
            1f / MathF.Sqrt(headDim), qTile, headDim, kRows, kvHeads * headDim, 0f, scores, keys);

        // softmax numerators in place; the 1/sum normalisation is applied to the (m, hd) output instead of P
        var inverseSums = stackalloc float[m];
        for (var i = 0; i < m; i++)
        {
            var (r, h) = (i / group, kvHead * group + i % group);
            var visible = start + t0 + r + 1;
            var row = scores + (long)i * keys;
            var max = TensorPrimitives.Max(new ReadOnlySpan<float>(row, visible));
            var sum = VectorMath.ExpInPlaceAndSum(row, visible, max);
            new Span<float>(row + visible, keys - visible).Clear();         // causal mask
            inverseSums[i] = 1f / sum;
            lse[((long)b * heads + h) * t + t0 + r] = max + MathF.Log(sum);
        }

        // out (m, hd) = P V, then each row scaled by 1/sum into its place in (B, T, NH, hd)
        ManagedGemm.SgemmSingleThread(BlasTranspose.None, BlasTranspose.None, m, headDim, keys,
            1f, scores, keys, vRows, kvHeads * headDim, 0f, oTile, headDim);
        for (var i = 0; i < m; i++)
        {
            var (r, h) = (i / group, kvHead * group + i % group);
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(oTile + (long)i * headDim, headDim), inverseSums[i],
                new Span<float>(outp + (((long)b * t + t0 + r) * heads + h) * headDim, headDim));
        }
    }

    private static void ZeroPadding(float* outp, float* lse, ReadOnlySpan<int> lengths, int batch, int t, int heads, int headDim)
    {
        for (var b = 0; b < batch; b++)
        {
            var padded = t - lengths[b];
            if (padded == 0) continue;
            new Span<float>(outp + ((long)b * t + lengths[b]) * heads * headDim, padded * heads * headDim).Clear();
            for (var h = 0; h < heads; h++) new Span<float>(lse + ((long)b * heads + h) * t + lengths[b], padded).Clear();
        }
    }

    private static void Check(ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, int batch, int t, int s, int heads, int kvHeads)
    {
        if (kvHeads <= 0 || heads % kvHeads != 0) throw new ArgumentException($"attention: {heads} query heads are not a multiple of {kvHeads} kv heads");
        if (starts.Length < batch || lengths.Length < batch) throw new ArgumentException($"attention: starts/lengths hold fewer than {batch} rows");
        for (var b = 0; b < batch; b++)
        {
            if (lengths[b] < 0 || lengths[b] > t) throw new ArgumentOutOfRangeException(nameof(lengths), $"attention: row {b} length {lengths[b]} is outside [0, {t}]");
            if (starts[b] < 0 || starts[b] + lengths[b] > s)
                throw new ArgumentOutOfRangeException(nameof(starts), $"attention: row {b} needs keys [0, {starts[b] + lengths[b]}) but the store holds {s}");
        }
    }
}
