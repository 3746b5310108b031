namespace ContinualTrainer.Dataset;

/// <summary>
/// Examples or a training set cannot be made (a tokenizer without the tokens its chat format needs, an
/// unknown snapshot, a general corpus that changed under a snapshot); the message is one line naming what and where.
/// </summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
