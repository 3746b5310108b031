namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// What a daemon run knows about its state folder, as its admin API and /metrics tell it: conversations and input
/// files (with when each was last taken), examples, runs and model versions. Equal facts before a stop and after the
/// restart mean nothing was lost, repeated or re-ingested. JSON parts are kept as the API printed them.
/// </summary>
internal sealed record DaemonFacts(
    string Conversations,
    string Files,
    string FilesTaken,
    long LatestSeq,
    double? Examples,
    string Current,
    string Runs,
    string Checkpoints)
{
    public static async Task<DaemonFacts> ReadAsync(DaemonInstance daemon)
    {
        var status = await daemon.GetJsonAsync("/api/status");
        var ingestion = status.GetProperty("ingestion");
        var metrics = await daemon.MetricsAsync();
        return new DaemonFacts(
            ingestion.GetProperty("conversations").GetRawText(),
            ingestion.GetProperty("files").GetRawText(),
            ingestion.GetProperty("last_files_taken").GetRawText(),
            ingestion.GetProperty("latest_seq").GetInt64(),
            metrics["continual_trainer_examples{category=\"transcript\"}"],
            status.GetProperty("checkpoints").GetProperty("current").GetString()!,
            (await daemon.GetJsonAsync("/api/runs")).GetRawText(),
            (await daemon.GetJsonAsync("/api/checkpoints")).GetRawText());
    }
}
