namespace ContinualTrainer.Ingestion;

/// <summary>
/// Derives decision examples from the stored canonical conversations for one model's tokenizer and chat format
/// (implemented by the dataset layer). Ingestion calls it after it stored conversations when a model is known
/// (<c>ingest --model DIR</c>, or <c>Model:Base</c>); in the daemon the deriver follows
/// <see cref="Store.IConversationsChanged"/> itself.
/// </summary>
public interface IExampleDeriver
{
    /// <summary>
    /// Brings the examples of the model in <paramref name="modelDirectory"/> (a Hugging Face model directory) up to
    /// date with every conversation new or changed since it last ran (<see cref="Store.ConversationStore.ReadChangedSinceAsync"/>),
    /// and returns how many examples it derived.
    /// </summary>
    Task<int> DeriveAsync(string modelDirectory, CancellationToken cancellationToken);
}
