namespace ContinualTrainer.Engine.Model;

/// <summary>
/// A reusable (B, T) block of token ids with one valid length per row (right padding with id 0).
/// Filled row by row with <see cref="SetRow"/>; rows never set have length 0.
/// </summary>
public sealed class TokenBatch
{
    private readonly int[] tokens;   // (B, T)
    private readonly int[] lengths;  // (B)

    public TokenBatch(int batchSize, int sequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        tokens = new int[batchSize * sequenceLength];
        lengths = new int[batchSize];
    }

    /// <summary>B: rows.</summary>
    public int BatchSize { get; }

    /// <summary>T: positions per row.</summary>
    public int SequenceLength { get; }

    /// <summary>Token ids, (B, T) row-major; padding is 0.</summary>
    public ReadOnlySpan<int> Tokens => tokens;

    /// <summary>Valid tokens of each row.</summary>
    public ReadOnlySpan<int> Lengths => lengths;

    /// <summary>Row <paramref name="row"/> becomes <paramref name="ids"/> followed by padding.</summary>
    public void SetRow(int row, ReadOnlySpan<int> ids)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)BatchSize, nameof(row));
        if (ids.Length > SequenceLength)
            throw new ArgumentException($"row {row} has {ids.Length} tokens, more than the batch's {SequenceLength} positions");
        var destination = tokens.AsSpan(row * SequenceLength, SequenceLength);
        ids.CopyTo(destination);
        destination[ids.Length..].Clear();
        lengths[row] = ids.Length;
    }

    /// <summary>Every row becomes empty.</summary>
    public void Clear()
    {
        Array.Clear(tokens);
        Array.Clear(lengths);
    }
}
