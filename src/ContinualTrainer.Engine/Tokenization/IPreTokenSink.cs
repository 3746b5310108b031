namespace ContinualTrainer.Engine.Tokenization;

/// <summary>Receives the pre-tokens a <see cref="PreTokenizer"/> cuts a text into, in order.</summary>
internal interface IPreTokenSink
{
    /// <summary>Takes one non-empty pre-token; the span is only valid during the call.</summary>
    void Accept(ReadOnlySpan<char> preToken);
}
