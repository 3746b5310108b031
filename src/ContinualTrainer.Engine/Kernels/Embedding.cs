using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Token embedding lookup: each output row is the embedding-table row of its token id. The backward adds
/// each row's gradient into its token's table row; every thread owns a column range and adds the rows in
/// order, so repeated tokens sum the same way for any thread count.
/// </summary>
public static unsafe class Embedding
{
    /// <summary>outp[n, :] = wte[tokens[n], :]; throws when an id is outside the vocabulary.</summary>
    public static void Forward(
        float* outp,                // (N, C)
        ReadOnlySpan<int> tokens,   // (N)
        float* wte,                 // (V, C)
        int n, int vocab, int channels)
    {
        for (var i = 0; i < n; i++)
        {
            var id = tokens[i];
            if ((uint)id >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {id} at position {i} is outside the vocabulary [0, {vocab})");
            new ReadOnlySpan<float>(wte + (long)id * channels, channels).CopyTo(new Span<float>(outp + (long)i * channels, channels));
        }
    }

    public static void Backward(
        float* dwte,                // (V, C) +=
        float* dout,                // (N, C)
        ReadOnlySpan<int> tokens,   // (N)
        int n, int vocab, int channels)
    {
        CheckTokens(tokens, n, vocab);
        const int ColumnBlock = 128;
        var blocks = (channels + ColumnBlock - 1) / ColumnBlock;
        fixed (int* ids = tokens)
        {
            var idPointer = ids;
            Parallelism.ForRanges(blocks, (long)n * ColumnBlock, (first, last) =>
            {
                int c0 = first * ColumnBlock, width = Math.Min(channels, last * ColumnBlock) - c0;
                for (var i = 0; i < n; i++)
                {
                    var row = new Span<float>(dwte + (long)idPointer[i] * channels + c0, width);
                    TensorPrimitives.Add(row, new ReadOnlySpan<float>(dout + (long)i * channels + c0, width), row);
                }
            });
        }
    }

    /// <summary>The reference: a scalar loop.</summary>
    public static void BackwardNaive(float* dwte, float* dout, ReadOnlySpan<int> tokens, int n, int vocab, int channels)
    {
        CheckTokens(tokens, n, vocab);
        for (var i = 0; i < n; i++)
        for (var c = 0; c < channels; c++)
            dwte[(long)tokens[i] * channels + c] += dout[(long)i * channels + c];
    }

    private static void CheckTokens(ReadOnlySpan<int> tokens, int n, int vocab)
    {
        if (tokens.Length < n) throw new ArgumentException($"embedding: {tokens.Length} token ids for {n} rows");
        for (var i = 0; i < n; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[i]} at position {i} is outside the vocabulary [0, {vocab})");
        }
    }
}
