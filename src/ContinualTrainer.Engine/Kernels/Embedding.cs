namespace ContinualTrainer.Engine.Kernels;

/// <summary>Token embedding lookup: each output row is the embedding-table row of its token id.</summary>
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
}
