namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Terminal record: the file cannot be parsed at all (binary data, not UTF-8, no recognisable format,
/// over a limit, nothing but errors) and the caller should quarantine it. Records yielded before it (at
/// most skipped lines) describe what was tried.
/// </summary>
/// <param name="Reason">One line saying why, e.g. "line 1 is not valid UTF-8".</param>
public sealed record QuarantineReason(string Reason) : ParseRecord;
