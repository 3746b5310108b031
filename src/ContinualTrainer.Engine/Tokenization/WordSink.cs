namespace ContinualTrainer.Engine.Tokenization;

/// <summary>The pre-token sink of encoding: each pre-token goes through a <see cref="WordEncoder"/> into a list.</summary>
internal readonly struct WordSink(WordEncoder encoder, List<int> output) : IPreTokenSink
{
    public void Accept(ReadOnlySpan<char> preToken) => encoder.Encode(preToken, output);
}
