namespace ContinualTrainer.Ingestion.Store;

/// <summary>A file set aside because it cannot be parsed, as <c>status</c> lists it.</summary>
/// <param name="Path">Where it is now (in <c>Ingestion:QuarantineDir</c> when that is set).</param>
/// <param name="Reason">One line saying why.</param>
/// <param name="SinceUtc">When it was quarantined.</param>
public sealed record QuarantinedFile(string Path, string Reason, string SinceUtc);
