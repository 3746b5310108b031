namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// What <see cref="FormatDetector"/> concluded about a file: a format, a reason to quarantine it, or
/// neither yet (<see cref="IsUndetermined"/>: the file is still being written and its first lines are not there).
/// </summary>
public sealed record FormatDetection(ConversationFormat? Format, QuarantineReason? Rejection)
{
    public static FormatDetection Undetermined { get; } = new(null, null);

    public bool IsUndetermined => Format is null && Rejection is null;

    public static FormatDetection Detected(ConversationFormat format) => new(format, null);

    public static FormatDetection Rejected(string reason) => new(null, new QuarantineReason(reason));
}
