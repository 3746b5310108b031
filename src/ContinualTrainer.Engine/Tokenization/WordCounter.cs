namespace ContinualTrainer.Engine.Tokenization;

/// <summary>The pre-token sink of BPE training: counts each distinct pre-token, without allocating for ones seen before.</summary>
internal readonly struct WordCounter(Dictionary<string, long> counts) : IPreTokenSink
{
    private readonly Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();

    public void Accept(ReadOnlySpan<char> preToken)
    {
        if (lookup.TryGetValue(preToken, out var count)) lookup[preToken] = count + 1;
        else lookup[preToken] = 1;
    }
}
